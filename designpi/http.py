"""HTTP pieces every app's views share: one way to answer an error (JSON for the
API, the product's error page otherwise), a form's errors as text, and paging."""

from django import forms
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

API_PREFIX = "/api/"

# Rows per page on every HTML list (conversations, tickets, leads).
LIST_PAGE_SIZE = 25
# Largest page number or offset-ish integer a form accepts (fits every database's int).
MAX_INT = 2**31 - 1

DEFAULT_DETAIL = {
    400: "Bad request.",
    403: "Forbidden.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "Request body too large.",
    429: "Too many requests.",
    500: "Internal server error.",
    503: "Service temporarily unavailable. Please retry.",
}


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def error_response(request, status: int, detail: str | None = None):
    """The one place that chooses between JSON ``{"detail": …}`` (the API) and the
    product's error page ``templates/<status>.html`` (everything else).

    ``detail`` is shown to the person; without it the API gets a generic phrase
    and the page its own wording. Error pages render without the database.
    """
    if is_api(request):
        return JsonResponse({"detail": detail or DEFAULT_DETAIL.get(status, "Error.")}, status=status)
    context = {"reason": detail} if detail else {}
    return render(request, f"{status}.html", context, status=status)


def is_cross_site(request) -> bool:
    """True when the browser says another site caused this request (a link, a form, an
    image or a frame there): ``Sec-Fetch-Site: cross-site`` or ``same-site`` (another
    host of the same site). The person's own navigation (``none``: typed, bookmarked)
    and the app's own requests (``same-origin``) are not.

    GET requests use it to skip side effects another site could trigger (read marks, a
    conversation created on first open). Every browser since 2023 sends the header;
    without it (older browsers, API clients) a request counts as the person's own.
    """
    return request.headers.get("Sec-Fetch-Site", "") in ("cross-site", "same-site")


def form_errors_text(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def bad_request(request, form):
    """400 with the reason, for a GET filter or cursor that failed its form."""
    return error_response(request, 400, form_errors_text(form))


def invalid_change(reason) -> HttpResponse:
    """400 with the reason as plain text, for a POST that changes nothing (a form or a
    rule's message). htmx does not swap error answers; app.js shows the text next to
    the form that sent it."""
    text = reason if isinstance(reason, str) else form_errors_text(reason)
    return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")


class PageForm(forms.Form):
    """?page= on every HTML list; lists add their filters to it."""

    page = forms.IntegerField(min_value=1, max_value=MAX_INT, required=False)
