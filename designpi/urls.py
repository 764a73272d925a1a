from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import views
from .api import api

admin.site.site_header = "DesignPi Support — data admin"
admin.site.site_title = "DesignPi Support"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False), name="root"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("conversations.urls.portal")),
    path("staff/", include("conversations.urls.staff")),
    path("admin/", include("designpi.console_urls")),
    path("api/", api.urls),
    path("django-admin/", admin.site.urls),
]

handler400 = "designpi.views.bad_request"
handler403 = "designpi.views.permission_denied"
handler404 = "designpi.views.page_not_found"
handler500 = "designpi.views.server_error"
