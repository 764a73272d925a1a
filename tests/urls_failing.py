"""The project's URLs plus views that fail on purpose (test_faults only)."""

from django.urls import path

from designpi.urls import handler400, handler403, handler404, handler500, urlpatterns as project_urlpatterns

SECRET = "internal-detail-that-must-not-leak"


def crash(request):
    raise RuntimeError(SECRET)


urlpatterns = [
    path("boom/", crash),
    path("api/boom", crash),
    *project_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
