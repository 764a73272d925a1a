import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def _database_is_down(exc) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def service_unavailable(request):
    """503 with Retry-After: JSON for the API, a plain page otherwise."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "Service temporarily unavailable. Please retry."}, status=503)
    else:
        response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    """handler500: a database outage becomes 503 + Retry-After; anything else a plain 500.

    Django calls this inside its exception handler, so sys.exc_info() is the error.
    Nothing here touches the database or the session.
    """
    exc = sys.exc_info()[1]
    if _database_is_down(exc):
        logger.warning("database unavailable path=%s error=%s", request.path, exc.__class__.__name__)
        return service_unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return render(request, "500.html", status=500)


def page_not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Forbidden."}, status=403)
    return render(request, "403.html", status=403)


def bad_request(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def csrf_failure(request, reason=""):
    logger.warning("csrf refused path=%s reason=%s", request.path, reason)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF verification failed: {reason}"}, status=403)
    return render(request, "403.html", {"reason": "Your form expired or came from elsewhere. Reload the page and try again."}, status=403)


@never_cache
@require_safe
def healthz(request):
    """For load balancers: 200 when the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("healthz database unavailable error=%s", exc.__class__.__name__)
        response = JsonResponse({"status": "unavailable", "database": "down"}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
