"""Conversation lists (the staff inbox and the admin console): one page of rows with
unread badges and previews, and the list poll that answers 204 while nothing changed."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.dates import MONTHS_3
from django.utils.text import Truncator
from django.utils.timezone import localtime

from designpi.http import LIST_PAGE_SIZE, bad_request

from ..forms import ListPollForm
from ..models import Message, Source, Status
from ..search import highlight, search_snippets
from ..selectors import (
    LIST_COUNT_CAP,
    conversation_list_summary,
    last_messages_for,
    mentioned_ids_for,
    unread_counts_for,
)

SOURCE_LABELS = dict(Source.choices)
STATUS_LABELS = dict(Status.choices)


def list_stamp(queryset) -> tuple[int, str]:
    """(row count up to LIST_COUNT_CAP + 1, a stamp that changes when the list changes), one query.

    Every new message, assignment, status change and read (one that marks something:
    services.conversation_mark_read) moves updated_at, so a list poll whose stamp still
    matches answers 204 without loading rows, and a badge cleared elsewhere comes back
    with the next poll.
    """
    count, latest = conversation_list_summary(queryset)
    return count, f"{count}-{latest.timestamp() if latest else 0}"


def list_page(viewer, queryset, *, count, page_number, search=None):
    """One page of conversations with unread counts, mention marks and previews (four
    queries; a search adds one for the matching messages' snippets)."""
    paginator = Paginator(queryset, LIST_PAGE_SIZE)
    paginator.count = min(count, LIST_COUNT_CAP)  # already counted by list_stamp
    paginator.more_than_counted = count > LIST_COUNT_CAP
    page = paginator.get_page(page_number)
    return page, list_rows(viewer, list(page.object_list), search=search)


def list_rows(viewer, conversations, *, search=None) -> list[dict]:
    """Each conversation with its unread count, newest message and whether it @mentions
    the viewer (three queries), and for a search the newest matching message, escaped,
    matches marked (one more; then the newest message only of the rows without one, and
    no query for it when every row has a snippet). The team's lists only: previews and
    snippets may be notes.

    A row also carries what its template prints, worked out here once: a template's
    lookups on model instances and its date and truncating filters cost about 20 µs each,
    and a page prints some 40 per row (docs/BENCHMARKS.md, "Search")."""
    unread = unread_counts_for(viewer, conversations)
    mentioned = mentioned_ids_for(viewer, conversations)
    found = search_snippets(conversations, search, messages=Message.objects.for_viewer(viewer)) if search else {}
    # A row with a snippet quotes it instead of the newest message: no query at all
    # when every row has one, as a search for a common word does.
    last = last_messages_for([c for c in conversations if c.pk not in found])
    return [
        row_values(viewer, c, unread=unread.get(c.pk, 0), last_message=last.get(c.pk), mentioned=c.pk in mentioned,
                   snippet=found.get(c.pk), search=search)
        for c in conversations
    ]


def row_values(viewer, conversation, *, unread, last_message, mentioned, snippet=None, search=None) -> dict:
    """One list row's values, ready to print (templates/includes/conv_preview.html and the
    lists' row partials)."""
    c = conversation
    when = localtime(c.last_message_at or c.updated_at)
    shown = snippet or last_message  # the message the row quotes
    who = ""
    if shown is not None and not shown.from_participant:
        name = "You" if shown.sender_id == viewer.pk else shown.sender.display_name
        who = f"Note, {name}" if shown.internal else name
    return {
        "conversation": c,
        "pk": str(c.pk),
        "name": c.participant_name,
        "is_lead": c.is_lead,
        "source_label": SOURCE_LABELS[c.source],
        "status": c.status,
        "status_key": c.status.lower(),
        "status_label": STATUS_LABELS[c.status],
        "assignee_id": c.assigned_to_id,
        "assignee_name": c.assigned_to.display_name if c.assigned_to_id else "",
        "snoozed_until": c.snoozed_until,
        "when_iso": when.isoformat(),
        "when_label": short_time(when),
        "unread": unread,
        "mentioned": mentioned,
        "last_message": last_message,
        "snippet": snippet,
        "snippet_html": highlight(snippet.body, search) if snippet is not None else None,
        "preview_who": who,
        "preview_text": preview(last_message.body) if last_message is not None else "",
    }


def short_time(when) -> str:
    """``when`` as the date filter's "M j, H:i" prints it ("Nov 26, 14:05"), at a tenth
    of its cost (it is worked out per row)."""
    return f"{str(MONTHS_3[when.month]).title()} {when.day}, {when:%H:%M}"


def preview(body: str, length: int = 140) -> str:
    """``body|truncatechars:140``; most messages are shorter, and then the text is
    returned as it is without the truncator's walk over every character."""
    return body if len(body) <= length else Truncator(body).chars(length)


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
