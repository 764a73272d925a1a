import logging
import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from .http import error_response, is_api

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 10


def _database_is_down(exc) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError))


def service_unavailable(request):
    """503 with Retry-After: JSON for the API, a plain page otherwise."""
    response = error_response(request, 503)
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
    return error_response(request, 500)


def page_not_found(request, exception):
    return error_response(request, 404)


def permission_denied(request, exception):
    return error_response(request, 403)


def bad_request(request, exception):
    return error_response(request, 400)


def csrf_failure(request, reason=""):
    logger.warning("csrf refused path=%s reason=%s", request.path, reason)
    if is_api(request):
        return error_response(request, 403, f"CSRF verification failed: {reason}")
    return error_response(request, 403, "Your form expired or came from elsewhere. Reload the page and try again.")


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
