"""What the customer chat, the staff inbox and the admin console have in common:
the message thread (page context, poll, send) and the list-poll stamp.

The team views here are mounted twice, once per portal: staff.py wraps them in
team_required and admin.py in admin_required. Which portal a request came through
is its URL namespace ("staff" or "console"); in the staff portal a conversation
must also be assigned to the viewer (the inbox is "assigned to me" for admins too).
"""

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.selectors import team_member_list
from tickets.forms import PriorityForm
from tickets.models import SupportTicket

from ..forms import ListPollForm, MessageForm, PollForm, StatusForm
from ..models import Conversation, Status
from ..selectors import conversation_get_for, last_messages_for, message_list_for, unread_counts_for
from ..services import RateLimited, conversation_mark_read, conversation_post_message, conversation_set_status

# The event the send form's 204 answer raises (HX-Trigger) so the poller fetches at once.
MESSAGES_CHANGED_EVENT = "messages-changed"
# A page shows this many of the newest messages; the poll appends the rest as they come.
THREAD_PAGE_SIZE = 200
LIST_PAGE_SIZE = 25
# Lists count at most this many rows (see list_stamp); 400 pages of 25.
LIST_COUNT_CAP = 10_000
THREAD_TEMPLATE = "conversations/thread.html"
DETAIL_TEMPLATE = "conversations/detail.html"


# --- helpers ---------------------------------------------------------------------

def portal_of(request) -> str:
    return request.resolver_match.namespace


def form_errors_text(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def bad_request(request, form):
    """400 with the reason, for a GET filter or cursor that failed its form."""
    return render(request, "400.html", {"reason": form_errors_text(form)}, status=400)


def recent_messages(conversation):
    """The newest THREAD_PAGE_SIZE messages, oldest first (one query)."""
    return list(message_list_for(conversation, after=max(conversation.last_seq - THREAD_PAGE_SIZE, 0)))


def mark_shown_read(*, reader, conversation, messages) -> None:
    """Mark read only what this response shows, and only if any of it is unread for the
    reader (an idle or already-read poll writes nothing)."""
    other_side = reader.is_team  # the team reads the participant's messages, a customer the team's
    if any(m.read_at is None and m.from_participant == other_side for m in messages):
        conversation_mark_read(reader=reader, conversation=conversation, up_to_seq=messages[-1].seq)


def thread_context(request, conversation, *, messages, urls, form=None) -> dict:
    return {
        "conversation": conversation,
        "thread_messages": messages,  # not "messages": that is Django's flash messages
        "cursor": messages[-1].seq if messages else 0,
        "truncated": bool(messages) and messages[0].seq > 1,
        "viewer_is_team": request.user.is_team,
        "form": form or MessageForm(),
        "urls": urls,
        "messages_changed_event": MESSAGES_CHANGED_EVENT,
    }


def thread_poll(request, conversation, *, urls):
    """GET .../messages/?after=<seq>: only the new rows plus the poller holding the new
    cursor (out of band); 204 when there is nothing new.

    ``conversation`` was fetched through the same access check as the page; its
    last_seq says whether anything is new, so an idle poll costs no further query.
    ``urls`` is a function: an idle poll does not need them, so it does not build them.
    """
    form = PollForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    after = form.cleaned_data["after"]
    if conversation.last_seq <= after:
        return HttpResponse(status=204)
    messages = list(message_list_for(conversation, after=after))
    if not messages:  # the cursor is ahead of a message still committing: nothing to show yet
        return HttpResponse(status=204)
    mark_shown_read(reader=request.user, conversation=conversation, messages=messages)
    context = thread_context(request, conversation, messages=messages, urls=urls())
    context["oob"] = True
    return render(request, f"{THREAD_TEMPLATE}#poll_response", context)


def thread_send(request, conversation, *, urls, render_page):
    """POST a message. htmx: 204 + HX-Trigger (only the poller appends, so a reply and a
    poll never both insert the row). Without htmx: redirect back to the page.
    A bad body answers 400 with the reason (htmx: plain text that app.js shows beside
    the box, which keeps what was typed; without htmx: the page with the form's error)."""
    form = MessageForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            conversation_post_message(
                actor=request.user,
                conversation=conversation,
                body=form.cleaned_data["body"],
                client_token=str(form.cleaned_data["client_token"]),
            )
        except Conversation.DoesNotExist:
            raise Http404("No such conversation.") from None
        except ValidationError as error:
            form.add_error("body", error)
        except RateLimited as error:
            form.add_error("body", str(error))
            status = 429
    if not form.is_valid():
        response = invalid_change(request, form) if request.htmx else render_page(form, status=400)
        response.status_code = status
        if status == 429:
            response["Retry-After"] = "60"
        return response
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = MESSAGES_CHANGED_EVENT
        return response
    return redirect(urls["page"])


def list_stamp(queryset) -> tuple[int, str]:
    """(row count up to LIST_COUNT_CAP + 1, a stamp that changes when the list changes), one query.

    Counting every visible row costs time in proportion to the table (13 ms for
    100,000 conversations on MariaDB, more than the rest of the page's queries
    together), so only the newest LIST_COUNT_CAP + 1 rows are counted: enough to
    page through, and the page says "10,000+" beyond. Their newest updated_at is
    the list's newest. Every new message, assignment and status change moves
    updated_at, so a list poll whose stamp still matches answers 204 without
    loading rows.
    """
    newest = queryset.order_by("-updated_at", "-id").values("updated_at")[: LIST_COUNT_CAP + 1]
    summary = newest.aggregate(count=Count("updated_at"), latest=Max("updated_at"))
    latest = summary["latest"]
    return summary["count"], f"{summary['count']}-{latest.timestamp() if latest else 0}"


def list_page(viewer, queryset, *, count, page_number):
    """One page of conversations with unread counts and previews (three queries)."""
    paginator = Paginator(queryset, LIST_PAGE_SIZE)
    paginator.count = min(count, LIST_COUNT_CAP)  # already counted by list_stamp
    paginator.more_than_counted = count > LIST_COUNT_CAP
    page = paginator.get_page(page_number)
    conversations = list(page.object_list)
    unread = unread_counts_for(viewer, conversations)
    last = last_messages_for(conversations)
    rows = [
        {"conversation": c, "unread": unread.get(c.pk, 0), "last_message": last.get(c.pk)}
        for c in conversations
    ]
    return page, rows


def list_response(request, *, load, context, template, rows_only=False):
    """A conversation list page, or (rows_only) its poll: the rows again when anything
    in the list changed, 204 when its stamp still matches.

    ``load(request)`` validates the filters and returns (form, queryset, count, stamp),
    queryset None when a filter is refused; ``context(...)`` builds the page context.
    """
    poll = ListPollForm(request.GET) if rows_only else None
    form, queryset, count, stamp = load(request)
    if queryset is None:
        return bad_request(request, form)
    if poll is not None:
        if not poll.is_valid():
            return bad_request(request, poll)
        if poll.cleaned_data["stamp"] == stamp:
            return HttpResponse(status=204)
        template += "#rows"
    return render(request, template, context(request, form, queryset, count, stamp))


# --- team conversation views (mounted by staff.py and admin.py) --------------------

def team_conversation_for(request, pk) -> Conversation:
    """The one access check for every team thread URL: page, poll, reply, status."""
    conversation = conversation_get_for(request.user, pk)
    if portal_of(request) == "staff" and conversation.assigned_to_id != request.user.pk:
        raise Http404("No such conversation.")
    return conversation


def team_thread_urls(request, conversation) -> dict:
    portal = portal_of(request)
    args = [conversation.pk]
    urls = {
        "page": reverse(f"{portal}:conversation_detail", args=args),
        "list": reverse(f"{portal}:conversation_list"),
        "poll": reverse(f"{portal}:conversation_messages", args=args),
        "send": reverse(f"{portal}:conversation_reply", args=args),
        "status": reverse(f"{portal}:conversation_status", args=args),
    }
    if portal == "console":
        urls["assign"] = reverse("console:conversation_assign", args=args)
        urls["priority"] = reverse("console:conversation_priority", args=args)
    return urls


def panel_context(request, conversation) -> dict:
    """The side panel: participant, ticket, assignment and status controls."""
    ticket = SupportTicket.objects.filter(conversation=conversation).first()
    is_console = portal_of(request) == "console"
    return {
        "conversation": conversation,
        "ticket": ticket,
        "participant": conversation.participant,
        "is_console": is_console,
        "team": team_member_list() if is_console else [],
        "status_choices": Status.choices,
        "priority_form": PriorityForm(initial={"priority": ticket.priority}) if ticket else None,
        "urls": team_thread_urls(request, conversation),
    }


def render_detail(request, conversation, *, messages, form=None, status=200):
    urls = team_thread_urls(request, conversation)
    context = thread_context(request, conversation, messages=messages, urls=urls, form=form)
    context.update(panel_context(request, conversation))
    context["base_template"] = "console/base.html" if portal_of(request) == "console" else "staff/base.html"
    return render(request, DETAIL_TEMPLATE, context, status=status)


def conversation_detail(request, pk):
    """History, reply box, status (and, in the console, assignment and priority).
    Opening it marks the participant's messages read, up to what it shows."""
    conversation = team_conversation_for(request, pk)
    messages = recent_messages(conversation)
    mark_shown_read(reader=request.user, conversation=conversation, messages=messages)
    return render_detail(request, conversation, messages=messages)


def conversation_messages(request, pk):
    conversation = team_conversation_for(request, pk)
    return thread_poll(request, conversation, urls=lambda: team_thread_urls(request, conversation))


def conversation_reply(request, pk):
    conversation = team_conversation_for(request, pk)

    def render_page(form, status):
        return render_detail(request, conversation, messages=recent_messages(conversation), form=form, status=status)

    return thread_send(request, conversation, urls=team_thread_urls(request, conversation), render_page=render_page)


def changed_response(request, conversation):
    """After an assignment, status or priority change: htmx gets the piece it swaps
    (the list row it came from, or the detail page's panel); a plain form post is
    redirected to the conversation."""
    if not request.htmx:
        return redirect(team_thread_urls(request, conversation)["page"])
    if (request.htmx.target or "").startswith("row-"):
        _, rows = list_page(request.user, [conversation], count=1, page_number=1)
        context = {"row": rows[0], "team": team_member_list(), "status_choices": Status.choices, "saved": True}
        return render(request, "console/conversation_list.html#row", context)
    return render(request, f"{DETAIL_TEMPLATE}#panel", {**panel_context(request, conversation), "saved": True})


def invalid_change(request, form):
    """400 with the reason as plain text: htmx does not swap error answers, app.js shows
    the text next to the form that sent it."""
    return HttpResponse(form_errors_text(form), status=400, content_type="text/plain; charset=utf-8")


def conversation_status(request, pk):
    """POST status=<OPEN|PENDING|RESOLVED|CLOSED>: an admin or the assigned staff member."""
    conversation = team_conversation_for(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return invalid_change(request, form)
    conversation_set_status(actor=request.user, conversation=conversation, status=form.cleaned_data["status"])
    return changed_response(request, conversation)

