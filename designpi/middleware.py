import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control
from django.utils.encoding import escape_uri_path

from .client_ip import client_ip_address


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
