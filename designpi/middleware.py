import logging
from urllib.parse import urlencode, urlsplit

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django.utils.encoding import escape_uri_path

from .client_ip import client_ip_address
from .http import error_response


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than ``MAX_REQUEST_BYTES`` before anything reads it.

    DATA_UPLOAD_MAX_MEMORY_SIZE leaves out the file parts of a multipart body, which
    Django streams to a temporary file without a limit, and CsrfViewMiddleware parses
    the body (request.POST) for anyone who sends a csrftoken cookie, signed in or not.
    So the decision is taken here, from the headers alone: the body is never touched.

    A body without a Content-Length (``Transfer-Encoding: chunked``) gets 411: its size
    is only known after reading it, and Django's WSGIRequest would read none of it
    anyway (LimitedStream with a limit of 0), silently handing the view an empty form.

    Sits after SecurityMiddleware and WhiteNoise, before everything that reads the
    session, cookies or body. The refusal is passed through the CSP, X-Frame-Options
    and private-cache middleware itself, so it carries the same headers as any page
    (SecurityMiddleware, outside us, adds the rest).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if meta.get("HTTP_TRANSFER_ENCODING"):
            return _refuse(request, 411, "Send the request body with a Content-Length header; "
                                         "bodies of unknown length are not accepted.")
        declared = meta.get("CONTENT_LENGTH") or "0"
        # ASCII digits only: int() would also take "+5", " 5" or "١٢".
        if not (declared.isascii() and declared.isdigit()):
            return _refuse(request, 400, "The Content-Length header is not a number of bytes.")
        limit = settings.MAX_REQUEST_BYTES
        if int(declared) > limit:
            return _refuse(request, 413, f"The request body is larger than the {limit:,} bytes this server accepts.")
        return self.get_response(request)


def _refuse(request, status: int, reason: str):
    """The refusal, wrapped in the header middleware that sit after us in MIDDLEWARE,
    so it carries the same CSP, X-Frame-Options and Cache-Control as any answer."""

    def answer(request):
        return error_response(request, status, reason)

    return XFrameOptionsMiddleware(CSPMiddleware(PrivateCacheMiddleware(answer)))(request)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session ended must send the browser to the login page.

    Without this, htmx follows the 302 inside the XHR and swaps the login form
    into the chat. We answer 204 + HX-Redirect instead; the ``next`` is the page
    the user was on (HX-Current-URL), not the fragment URL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code not in (301, 302):
            return response
        login_path = resolve_url(settings.LOGIN_URL)
        if urlsplit(response.get("Location", "")).path != login_path:
            return response
        current = urlsplit(request.htmx.current_url or "")
        next_path = current.path or "/"
        if current.query:
            next_path += "?" + current.query
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = f"{login_path}?{urlencode({'next': next_path})}"
        return redirect


class PrivateCacheMiddleware:
    """Dynamic answers are per user: no shared cache or browser history may keep them.

    Static files never reach this (whitenoise answers them earlier).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


refusal_logger = logging.getLogger("designpi.access")

# The answers that mean "you may not": not signed in, wrong role, not yours (or not
# there, which looks the same on purpose), and too many attempts.
REFUSAL_STATUSES = frozenset({401, 403, 404, 429})


class AccessRefusalLogMiddleware:
    """One log line per refused request, in one place for pages, fragments and the API:
    who (user id or anonymous, client address), what (method, path: the path carries
    the object id) and the answer. Sits after AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in REFUSAL_STATUSES:
            refusal_logger.warning(
                "access refused status=%s user=%s ip=%s method=%s path=%s",
                response.status_code,
                _user_id(request),
                client_ip_address(request) or "-",
                request.method,
                # Percent-encoded, so a path cannot break the one-line format.
                escape_uri_path(request.path),
            )
        return response


def _user_id(request) -> str:
    """The signed-in user's id, without a second trip to the database when the view
    already loaded the user, and without failing when the database cannot answer."""
    user = getattr(request, "_cached_user", None)
    if user is None:
        try:
            user = request.user
            user.is_authenticated  # evaluates the lazy user
        except Exception:  # a refusal is still logged during a database outage
            return "?"
    return str(user.pk) if user.is_authenticated else "anonymous"
