"""Scoped reads. Every one starts from Conversation.objects.visible_to(user)."""

from django.db.models import Count, Max, Q
from django.http import Http404

from designpi.validators import parse_id

from .models import Conversation, Message
from .search import search_conversations


# A page of a thread (and the most a poll returns at once): the newest this many.
THREAD_PAGE_SIZE = 200
# Lists count at most this many rows (see conversation_list_summary); 400 pages of 25.
LIST_COUNT_CAP = 10_000


def conversation_get_for(user, pk, *, assigned_only: bool = False) -> Conversation:
    """The conversation if ``user`` may see it; otherwise 404, exactly like a missing id.

    ``assigned_only``: the staff inbox, which is "assigned to me" for admins too.
    It only ever narrows what visible_to allows.
    """
    pk = parse_id(pk)
    if pk is None:
        raise Http404("No such conversation.")
    queryset = Conversation.objects.visible_to(user)
    if assigned_only:
        queryset = queryset.filter(assigned_to=user)
    try:
        return queryset.select_related("customer", "lead", "assigned_to").get(pk=pk)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.") from None


def conversation_of_customer(customer) -> Conversation | None:
    """The customer's conversation if they have one yet (reads only; the services
    create it on first need)."""
    return Conversation.objects.visible_to(customer).filter(customer=customer).select_related("assigned_to").first()


def conversation_list_for(user, *, status=None, source=None, assigned_to=None, unassigned=False, search=None):
    """Conversations ``user`` may see, newest activity first, with filters already validated.

    ``search``: a conversations.search.SearchQuery (None: no search); it narrows the
    same scoped queryset, so visibility and the other filters apply to it unchanged.
    """
    queryset = Conversation.objects.visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if unassigned:
        queryset = queryset.filter(assigned_to__isnull=True)
    elif assigned_to is not None:
        queryset = queryset.filter(assigned_to=assigned_to)
    if search is not None:
        # Reads the database on MariaDB to choose its plan (conversations/search.py).
        queryset = search_conversations(queryset, search)
    return queryset.select_related("customer", "lead", "assigned_to", "ticket").newest_activity_first()


def conversation_assigned_list_for(user, *, status=None, search=None):
    """The inbox: conversations assigned to ``user`` (staff, or an admin's own)."""
    return conversation_list_for(user, status=status, assigned_to=user, search=search)


def conversation_list_summary(queryset) -> tuple[int, object]:
    """(row count up to LIST_COUNT_CAP + 1, newest updated_at) of a list, in one query.

    The one paging rule for HTML and API lists. Counting every visible row costs time
    in proportion to the table (13 ms for 100,000 conversations on MariaDB, more than
    the rest of a page's queries together), so only the newest LIST_COUNT_CAP + 1 rows
    are counted: enough to page through; a count above the cap means "more than that".
    """
    newest = queryset.order_by("-updated_at", "-id").values("updated_at")[: LIST_COUNT_CAP + 1]
    summary = newest.aggregate(count=Count("updated_at"), latest=Max("updated_at"))
    return summary["count"], summary["latest"]


def unread_counts_for(viewer, conversations) -> dict[int, int]:
    """Unread messages per conversation, from ``viewer``'s side, in one query.

    The team counts the participant's unread messages; a customer counts the team's.
    """
    ids = [conversation.pk for conversation in conversations]
    if not ids:
        return {}
    rows = (
        Message.objects.filter(
            conversation_id__in=ids, from_participant=viewer.is_team, read_at__isnull=True
        )
        .values("conversation_id")
        .annotate(unread=Count("id"))
    )
    return {row["conversation_id"]: row["unread"] for row in rows}


def last_messages_for(conversations) -> dict[int, Message]:
    """The newest message of each conversation (for previews), in one query."""
    keys = Q()
    for conversation in conversations:
        if conversation.last_seq:
            keys |= Q(conversation_id=conversation.pk, seq=conversation.last_seq)
    if not keys:
        return {}
    return {message.conversation_id: message for message in Message.objects.filter(keys).select_related("sender")}


def message_list_for(conversation, *, after: int = 0, limit: int = THREAD_PAGE_SIZE):
    """Messages of an already access-checked conversation with seq > ``after``, oldest
    first, at most ``limit`` of them: no read of a thread is unbounded."""
    return conversation.messages.filter(seq__gt=after).select_related("sender").order_by("seq")[:limit]
