"""The JSON API (SPEC §6), mounted at /api/. Routers live in each app's api.py.

Error answers are always JSON `{"detail": "…"}` (validation errors add `errors`):
  400  the request is wrong: unparseable JSON, a field of the wrong type or value
       (unknown status, non-numeric id…), or a business rule (empty or over-long
       message, assigning someone who is not an active team member)
  401  not signed in            403  wrong role, or missing/bad CSRF token
  404  no such object, or one the caller may not see (the two look the same)
  405  method not allowed       413  request body too large
  429  posting too fast (with Retry-After)
  503  database unavailable (with Retry-After)
422 is not used: every input error is a 400, with `errors` saying where.

The docs page (/api/docs) is ninja's own Swagger template: its JS and CSS come
from ninja's static files (collectstatic; no CDN) and its settings sit in a
<script type="application/json"> block read by ninja's swagger-ui-init.js, so it
runs under script-src 'self' / style-src 'self' (tests/api/test_docs.py checks
this in Chromium).
"""

import json
from functools import wraps

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from accounts.api import router as accounts_router
from conversations.api import router as conversations_router
from conversations.services import RateLimited

from . import views


class StrictJSONParser(Parser):
    """JSON bodies must be well-formed UTF-8 text all the way down.

    json.loads accepts "\\ud800" (a lone surrogate), which no database can store;
    refusing it here turns a would-be 500 into ninja's 400 "Cannot parse request body".
    """

    def parse_body(self, request):
        data = json.loads(request.body)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # raises UnicodeEncodeError on surrogates
        return data


class UTF8JSONRenderer(JSONRenderer):
    """Text as UTF-8 rather than \\u escapes: "👋" stays readable in curl (charset=utf-8)."""

    json_dumps_params = {"ensure_ascii": False}


def _json_method_not_allowed(view):
    """ninja answers a wrong method with a plain-text 405; ours is JSON like every error."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allowed = response.get("Allow", "")
            response = JsonResponse({"detail": f"Method {request.method} not allowed."}, status=405)
            if allowed:
                response["Allow"] = allowed
        return response

    return wrapper


class DesignPiAPI(NinjaAPI):
    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            pattern.callback = _json_method_not_allowed(pattern.callback)
        return patterns


api = DesignPiAPI(
    title="DesignPi Support API",
    version="1.0",
    description=(
        "Session-cookie API for the DesignPi Support chat. Sign in like the browser does: "
        "GET /accounts/login/ for the `csrftoken` cookie, then POST the form there with "
        "`username` (the email), `password` and `csrfmiddlewaretoken`, keeping the cookies. "
        "Send the `csrftoken` cookie's value in an `X-CSRFToken` header with every POST and "
        "PATCH. Errors are JSON `{\"detail\": \"…\"}`: 400 bad input (never 422), 401 not "
        "signed in, 403 wrong role or CSRF, 404 missing or not yours, 405, 413, 429 and 503 "
        "with Retry-After. See docs/API.md for a curl walk-through."
    ),
    urls_namespace="api",
    parser=StrictJSONParser(),
    renderer=UTF8JSONRenderer(),
)

api.add_router("", conversations_router)
api.add_router("", accounts_router)


def _error(request, status, detail, **extra):
    return api.create_response(request, {"detail": detail, **extra}, status=status)


@api.exception_handler(NinjaValidationError)
def schema_validation_error(request, exc):
    errors = [{"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))} for error in exc.errors]
    summary = "; ".join(f"{'.'.join(str(part) for part in e['loc'][1:]) or 'request'}: {e['msg']}" for e in errors)
    return _error(request, 400, f"Invalid request. {summary}", errors=errors)


@api.exception_handler(DjangoValidationError)
def rule_validation_error(request, exc):
    return _error(request, 400, " ".join(exc.messages))


@api.exception_handler(RequestDataTooBig)
def body_too_large(request, exc):
    return _error(request, 413, "Request body too large.")


@api.exception_handler(AuthenticationError)
def not_signed_in(request, exc):
    # JSON, never a redirect to the login page (SECURITY_CASES 4).
    return _error(request, 401, "Authentication required: sign in at /accounts/login/ and send the session cookie.")


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    response = _error(request, 429, str(exc))
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return _error(request, 403, str(exc) or "Forbidden.")


@api.exception_handler(Http404)
def not_found(request, exc):
    # The same words for "missing" and "not yours" (SPEC §4.6).
    return _error(request, 404, "Not found.")


@api.exception_handler(ObjectDoesNotExist)
def does_not_exist(request, exc):
    return _error(request, 404, "Not found.")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    views.logger.warning("database unavailable path=%s error=%s", request.path, exc.__class__.__name__)
    return views.service_unavailable(request)
