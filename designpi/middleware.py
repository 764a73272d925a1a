from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import patch_cache_control


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
