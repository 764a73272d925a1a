"""Pieces every API router shares: session auth with roles, the error shape, paging.

Kept apart from designpi/api.py so each app's api.py can import them without a
circular import (designpi/api.py imports the apps' routers).
"""

from collections.abc import Callable

from django.conf import settings
from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

# Largest page an API list returns; the default when a client asks for none.
PAGE_MAX = 100
PAGE_DEFAULT = 20
# Offsets past this are refused (400) rather than sent to the database.
OFFSET_MAX = 1_000_000

CSRF_HELP = (
    "CSRF verification failed. Send the csrftoken cookie's value in the "
    "X-CSRFToken header (and the Referer header over HTTPS)."
)


class SessionAuth(APIKeyCookie):
    """Django's session cookie, then CSRF for unsafe methods, then the role.

    The order is deliberate: anonymous answers 401 (even on a POST without a
    token), a signed-in request without a valid CSRF token 403, a signed-in user
    of the wrong role 403. The role checks read the same User properties as
    accounts.decorators (house style 6).
    """

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "Django's session cookie. Get it by signing in: GET /accounts/login/ (sets the "
        "csrftoken cookie), then POST the form there with `username` (the email), `password` "
        "and `csrfmiddlewaretoken` (the csrftoken cookie's value), keeping cookies. "
        "POST and PATCH requests must also send the csrftoken cookie's current value in an "
        "X-CSRFToken header (it changes at sign-in). Not signed in: 401."
    )

    def __init__(self, check: Callable | None = None, refusal: str = "Forbidden.") -> None:
        super().__init__(csrf=True)  # `csrf` also tells ninja's docs page to send the token
        self.check = check
        self.refusal = refusal

    def __call__(self, request):
        user = request.user  # SessionMiddleware + AuthenticationMiddleware; inactive users are anonymous
        if not user.is_authenticated:
            return None  # ninja answers 401
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise HttpError(403, CSRF_HELP)
        if self.check is not None and not self.check(user):
            raise HttpError(403, self.refusal)
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


signed_in = SessionAuth()
team_only = SessionAuth(lambda user: user.is_team, "This endpoint is for the support team.")
admin_only = SessionAuth(lambda user: user.is_admin, "This endpoint is for admins.")
customer_only = SessionAuth(lambda user: user.is_customer, "This endpoint is for customers.")


class ErrorItem(Schema):
    loc: list[str | int] = Field(description="Where the problem is, e.g. [\"body\", \"payload\", \"status\"].")
    msg: str


class ErrorOut(Schema):
    """Every error answer: a human-readable `detail`; validation errors add `errors`."""

    detail: str
    errors: list[ErrorItem] | None = None


# Statuses any signed-in route can answer besides its success (documented in OpenAPI).
READ_ERRORS = frozenset({400, 401, 403, 404, 503})
WRITE_ERRORS = READ_ERRORS | frozenset({405, 413})
POST_MESSAGE_ERRORS = WRITE_ERRORS | frozenset({429})


def responses(success: dict, errors=READ_ERRORS) -> dict:
    return {**success, errors: ErrorOut}


class PageQuery(Schema):
    limit: int = Field(PAGE_DEFAULT, ge=1, le=PAGE_MAX, description=f"Items per page, 1..{PAGE_MAX}.")
    offset: int = Field(0, ge=0, le=OFFSET_MAX, description="Items to skip.")
