"""Every URL of the product, in one place: this root, and one URLconf per portal beside
it (portal.py: the customer, staff.py: the staff inbox, console.py: the admin console,
live.py: the live stream, contact.py: the public contact chat).
Each portal mounts the views of the apps it shows explicitly."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from designpi import views
from designpi.api import api

admin.site.site_header = "DesignPi Support — data admin"
admin.site.site_title = "DesignPi Support"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="accounts:home", permanent=False), name="root"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("designpi.urls.portal")),
    path("staff/", include("designpi.urls.staff")),
    path("admin/", include("designpi.urls.console")),
    path("notifications/", include("notifications.urls")),
    path("contact/", include("designpi.urls.contact")),
    path("api/", api.urls),
    path("live/", include("designpi.urls.live")),
    path("django-admin/", admin.site.urls),
]

handler400 = "designpi.views.bad_request"
handler403 = "designpi.views.permission_denied"
handler404 = "designpi.views.page_not_found"
handler500 = "designpi.views.server_error"
