"""The benchmark's WSGI entry point: the real application plus one bare view.

``/__bench__/floor`` goes through the same middleware as every page and returns
204 without touching the database: the ceiling any poll can approach on this
machine under the same gunicorn settings. Only `manage.py bench` starts this
module; production serves designpi.wsgi, which has no such route.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designpi.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.http import HttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

import designpi.urls  # noqa: E402


def floor(request):
    return HttpResponse(status=204)


designpi.urls.urlpatterns.insert(0, path("__bench__/floor", floor))
clear_url_caches()
