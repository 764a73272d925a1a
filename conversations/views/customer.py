"""The customer portal: one chat with the support team (SPEC §5)."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import customer_required
from designpi.http import is_cross_site

from ..selectors import conversation_of_customer
from ..services import conversation_get_or_create_for_customer
from .attention import attention_response
from .thread import mark_shown_read, recent_messages, thread_context, thread_poll, thread_send


def _urls() -> dict:
    return {
        "page": reverse("portal:chat"),
        "poll": reverse("portal:messages"),
        "send": reverse("portal:send"),
    }


def _render_chat(request, conversation, *, messages, form=None, status=200):
    context = thread_context(request, conversation, messages=messages, urls=_urls(), form=form)
    return render(request, "portal/chat.html", context, status=status)


@require_safe
@customer_required
def chat(request):
    """The customer's conversation, created on first open (SPEC §4.2). Opening it
    marks the team's replies read, up to what it shows.

    A visit another site caused (a link there) changes nothing: no conversation is
    created (the chat shows empty; the first message creates it) and nothing is marked read.
    """
    conversation = conversation_of_customer(request.user)
    if conversation is None and not is_cross_site(request):
        conversation, _ = conversation_get_or_create_for_customer(customer=request.user)
    messages = recent_messages(conversation, for_team=False)
    mark_shown_read(request, conversation=conversation, messages=messages)
    return _render_chat(request, conversation, messages=messages)


@require_safe
@customer_required
def messages(request):
    """Poll: the replies after ?after=<seq>, or 204 (also while there is no conversation yet:
    a poll never creates one)."""
    return thread_poll(request, conversation_of_customer(request.user), urls=_urls)


@require_POST
@customer_required
def send(request):
    """Post a message; a RESOLVED or CLOSED conversation reopens (the service decides)."""
    conversation, _ = conversation_get_or_create_for_customer(customer=request.user)

    def render_page(form, status):
        messages = recent_messages(conversation, for_team=False)
        return _render_chat(request, conversation, messages=messages, form=form, status=status)

    return thread_send(request, conversation, urls=_urls(), render_page=render_page)


@require_safe
@customer_required
def attention(request):
    """The team's unread replies, for the tab's title, icon and notifications (JSON)."""
    page = reverse("portal:chat")
    return attention_response(request, url_for=lambda pk: page)
