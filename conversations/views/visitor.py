"""The public contact chat (/contact/, issue 12): a website visitor writes without an
account, and the browser that started a conversation keeps it through a signed cookie.

What a cookie opens is decided in one place, Conversation.objects.for_visitor (through
conversations.selectors.conversation_for_visitor); these views then reuse the customer
portal's thread (views/thread.py and conversations/thread.html), so a visitor sees what
a participant sees and nothing the team keeps to itself.

POSTs here are exempt from Django's CSRF cookie check, because inside the widget's
third-party frame the browser does not send the CSRF cookie (SameSite=Lax). They are
refused instead when the browser says another site sent them (same_origin_required).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.signin_guard import client_network
from designpi.client_ip import client_ip_address
from designpi.framing import contact_page_headers
from designpi.http import error_response
from leads.forms import ContactForm, ContinueLinkForm, proof_of_work_spend
from leads.models import ContactAttempt
from leads.visitor import (
    VISITOR_COOKIE_NAME,
    ContactLimited,
    contact_attempt_record,
    contact_limit_check,
    continue_link_request,
    continue_link_use,
    visitor_cookie_delete,
    visitor_cookie_set,
)

from ..selectors import conversation_for_visitor
from ..services import conversation_start_for_visitor
from .thread import VISITOR_FLAG, mark_shown_read, recent_messages, thread_context, thread_poll, thread_send


def as_visitor(view):
    """The thread helpers (views/thread.py) read and write as the lead here, never as the
    session's user (an admin trying the contact page is a visitor on it)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        setattr(request, VISITOR_FLAG, True)
        return view(request, *args, **kwargs)

    return wrapper


def same_origin_required(view):
    """Refuse a POST the browser says came from another site (the CSRF defence of these
    views): Sec-Fetch-Site other than same-origin, or an Origin that is not ours."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        site = request.headers.get("Sec-Fetch-Site")
        origin = request.headers.get("Origin")
        own = f"{request.scheme}://{request.get_host()}"
        if (site is not None and site != "same-origin") or (origin is not None and origin != own):
            return error_response(request, 403, "This form can only be sent from this site's own pages.")
        return view(request, *args, **kwargs)

    return csrf_exempt(wrapper)


def _embedded(request) -> bool:
    return request.GET.get("embedded") == "1" or request.POST.get("embedded") == "1"


def _urls(embedded: bool) -> dict:
    suffix = "?embedded=1" if embedded else ""
    return {
        "page": reverse("contact:widget" if embedded else "contact:page"),
        "poll": reverse("contact:messages"),
        "send": reverse("contact:send") + suffix,
        "start": reverse("contact:start"),
        "continue": reverse("contact:continue_request"),
    }


def _client_network(request) -> str:
    ip = client_ip_address(request)
    return client_network(ip) if ip else "unknown"


def _page(request, template, context, *, embedded, status=200):
    context = {**context, "embedded": embedded, "urls": context.get("urls") or _urls(embedded)}
    response = render(request, template, context, status=status)
    return contact_page_headers(response, embedded=embedded)


def _form_page(request, *, embedded, form=None, status=200, notice=""):
    return _page(request, "contact/contact.html",
                 {"contact_form": form or ContactForm(), "notice": notice}, embedded=embedded, status=status)


def _chat_page(request, conversation, *, embedded, notice=""):
    messages = recent_messages(conversation, for_team=False)
    mark_shown_read(request, conversation=conversation, messages=messages)
    context = thread_context(request, conversation, messages=messages, urls=_urls(embedded))
    context["notice"] = notice
    return _page(request, "contact/chat.html", context, embedded=embedded)


def _visitor_page(request, *, embedded):
    conversation = conversation_for_visitor(request.COOKIES.get(VISITOR_COOKIE_NAME))
    if conversation is not None:
        return _chat_page(request, conversation, embedded=embedded, notice=request.GET.get("sent") and
                          "We emailed you a link. Open it on the other device to continue there." or "")
    stale = VISITOR_COOKIE_NAME in request.COOKIES
    response = _form_page(request, embedded=embedded, notice=(
        "That conversation is closed or no longer available here. Write to us again below." if stale else ""))
    if stale:
        visitor_cookie_delete(response)
    return response


@require_safe
@never_cache
@as_visitor
def page(request):
    """The contact form, or the visitor's chat when the browser's cookie opens one."""
    return _visitor_page(request, embedded=False)


@require_safe
@never_cache
@as_visitor
def widget(request):
    """The same, laid out for the widget's frame; the only page other sites
    (WIDGET_ALLOWED_ORIGINS) may frame (designpi/framing.py)."""
    return _visitor_page(request, embedded=True)


@require_POST
@never_cache
@same_origin_required
@as_visitor
def start(request):
    """The contact form: refusals (bad fields, honeypot, limits, a missing, invalid or
    replayed proof of work) are 4xx with the reason and store nothing."""
    embedded = _embedded(request)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _form_page(request, embedded=embedded, form=form, status=400)
    data = form.cleaned_data
    network = _client_network(request)
    try:
        with transaction.atomic():
            contact_limit_check(kind=ContactAttempt.Kind.CONVERSATION, email=data["email"], network=network)
            if not proof_of_work_spend(data["altcha"]):
                form.add_error("altcha", "This proof of work was already used. Send the form again.")
                raise ValidationError("replay")
            try:
                started = conversation_start_for_visitor(
                    name=data["name"], email=data["email"], company=data["company"], body=data["body"])
            except PermissionDenied:
                # A customer's address (or a converted lead's): no conversation, and the answer
                # is the one an address with an open conversation gets. The attempt counts
                # toward the limits like any other, so probing addresses stays slow.
                contact_attempt_record(kind=ContactAttempt.Kind.CONVERSATION, email=data["email"], network=network)
                return _page(request, "contact/known_address.html", {"email": data["email"]}, embedded=embedded)
            contact_attempt_record(kind=ContactAttempt.Kind.CONVERSATION, email=data["email"], network=network)
            own = conversation_for_visitor(request.COOKIES.get(VISITOR_COOKIE_NAME))
            if started.token is None and (own is None or own.pk != started.conversation.pk):
                # The lead's conversation already existed: its history opens only in its own
                # browser, or through the link we email to the address now.
                continue_link_request(conversation=started.conversation)
    except ContactLimited as error:
        form.add_error(None, str(error))
        response = _form_page(request, embedded=embedded, form=form, status=429)
        response["Retry-After"] = str(error.retry_after)
        return response
    except ValidationError:
        return _form_page(request, embedded=embedded, form=form, status=400)
    if started.token is None and (own is None or own.pk != started.conversation.pk):
        return _page(request, "contact/known_address.html", {"email": data["email"]}, embedded=embedded)
    response = redirect(_urls(embedded)["page"])
    if started.token is not None:
        visitor_cookie_set(response, request, started.token)
    return response


@require_safe
@never_cache
@as_visitor
def messages(request):
    """Poll: the visitor's new messages after ?after=<seq>, or 204. Nothing without a cookie
    that opens a conversation (204 too: a poll reveals nothing and creates nothing)."""
    conversation = conversation_for_visitor(request.COOKIES.get(VISITOR_COOKIE_NAME))
    return thread_poll(request, conversation, urls=lambda: _urls(_embedded(request)))


@require_POST
@never_cache
@same_origin_required
@as_visitor
def send(request):
    """Post a message as the lead. 404 without a cookie that opens a conversation."""
    embedded = _embedded(request)
    conversation = conversation_for_visitor(request.COOKIES.get(VISITOR_COOKIE_NAME))
    if conversation is None:
        return error_response(request, 404, "This conversation is not open here. Start again from the contact page.")
    network = _client_network(request)
    email = conversation.lead.email
    try:
        contact_limit_check(kind=ContactAttempt.Kind.MESSAGE, email=email, network=network)
    except ContactLimited as error:
        response = HttpResponse(str(error), status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(error.retry_after)
        return response

    def render_page(form, status):
        context = thread_context(request, conversation, messages=recent_messages(conversation, for_team=False), urls=_urls(embedded),
                                 form=form)
        return _page(request, "contact/chat.html", context, embedded=embedded, status=status)

    with transaction.atomic():
        response = thread_send(request, conversation, urls=_urls(embedded), render_page=render_page)
        if response.status_code < 400:
            contact_attempt_record(kind=ContactAttempt.Kind.MESSAGE, email=email, network=network)
    return response


@require_POST
@never_cache
@same_origin_required
@as_visitor
def continue_request(request):
    """'Email me a link': the lead gets a single-use link to open this conversation in
    another browser (sent by the worker). Counts toward the per-minute message limit."""
    embedded = _embedded(request)
    conversation = conversation_for_visitor(request.COOKIES.get(VISITOR_COOKIE_NAME))
    if conversation is None or not ContinueLinkForm(request.POST).is_valid():
        return error_response(request, 404, "This conversation is not open here.")
    network = _client_network(request)
    try:
        contact_limit_check(kind=ContactAttempt.Kind.MESSAGE, email=conversation.lead.email, network=network)
    except ContactLimited as error:
        return error_response(request, 429, str(error))
    with transaction.atomic():
        continue_link_request(conversation=conversation)
        contact_attempt_record(kind=ContactAttempt.Kind.MESSAGE, email=conversation.lead.email, network=network)
    return redirect(_urls(embedded)["page"] + "?sent=1")


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
@same_origin_required
@as_visitor
def continue_link(request, token):
    """The emailed link. GET shows a button (mail scanners that fetch links spend nothing);
    POST spends the link once and gives this browser the conversation's new cookie."""
    if request.method != "POST":
        return _page(request, "contact/continue.html", {"token": token}, embedded=False)
    new_token = continue_link_use(token)
    if new_token is None:
        return _page(request, "contact/continue_invalid.html", {}, embedded=False, status=400)
    response = redirect("contact:page")
    visitor_cookie_set(response, request, new_token)
    return response

