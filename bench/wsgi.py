"""The benchmark's WSGI entry point: the real application plus two reference views.

``/__bench__/floor`` goes through the same middleware as every page and returns
204 without touching the database: the ceiling any poll can approach on this
machine under the same gunicorn settings.

``/__bench__/raw-poll`` does the idle poll's three reads (session, user, the
customer's conversation) in hand-written SQL, without the ORM, the auth middleware
or the access checks: not something to ship, a measure of how much of the idle
poll's cost is the database round trips themselves (docs/BENCHMARKS.md).

Only the benchmark (`python -m bench`) starts this module; production serves
designpi.wsgi, which has neither route.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designpi.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402
from django.utils import timezone  # noqa: E402

import designpi.urls  # noqa: E402


def floor(request):
    return HttpResponse(status=204)


def raw_poll(request):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT session_data FROM django_session WHERE session_key = %s AND expire_date > %s",
            [request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""), timezone.now()],
        )
        session = SessionStore().decode(cursor.fetchone()[0])
        cursor.execute("SELECT id, role, is_active FROM accounts_user WHERE id = %s", [session["_auth_user_id"]])
        user_id = cursor.fetchone()[0]
        cursor.execute("SELECT last_seq FROM conversations_conversation WHERE customer_id = %s", [user_id])
        last_seq = cursor.fetchone()[0]
    return HttpResponse(status=204 if last_seq <= int(request.GET["after"]) else 200)


designpi.urls.urlpatterns[:0] = [path("__bench__/floor", floor), path("__bench__/raw-poll", raw_poll)]
clear_url_caches()

# `python -m bench --live` counts each process's queries (bench/querycount.py); a no-op otherwise.
from bench.querycount import install  # noqa: E402

install()
