"""Scoped reads. Every one starts from Conversation.objects.visible_to(user)."""

from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.http import Http404

from designpi.validators import parse_id

from .models import Conversation, Mention, Message, visibility_q
from .search import search_conversations

# A page of a thread (and the most a poll returns at once): the newest this many.
THREAD_PAGE_SIZE = 200
# The browser tab's count (issue 15) names at most this many waiting conversations.
ATTENTION_LIMIT = 99
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


def conversation_for_visitor(token) -> Conversation | None:
    """The one conversation a website visitor's cookie token opens, or None (issue 12).
    The rule is Conversation.objects.for_visitor; this only fetches what the thread needs."""
    if not token:
        return None
    return Conversation.objects.for_visitor(token).select_related("lead", "assigned_to").first()


def visitor_tokens_still_open(tokens) -> set[str]:
    """Which of these visitor tokens still open their conversation, in one query (the live
    feed re-checks its visitor streams with it): for_visitor's rule, judged per token on
    the rows of the conversations they name."""
    from leads.visitor import key_hash, open_to_visitors_q, visitor_token_read

    read = {token: visitor_token_read(token) for token in tokens}
    ids = {value[0] for value in read.values() if value is not None}
    if not ids:
        return set()
    current = dict(Conversation.objects.filter(open_to_visitors_q(), pk__in=ids)
                   .values_list("pk", "visitor_pass__key_hash"))
    return {token for token, value in read.items()
            if value is not None and current.get(value[0]) == key_hash(value[1])}


def conversation_of_customer(customer) -> Conversation | None:
    """The customer's conversation if they have one yet (reads only; the services
    create it on first need)."""
    return Conversation.objects.visible_to(customer).filter(customer=customer).select_related("assigned_to").first()


def conversation_list_for(user, *, status=None, source=None, assigned_to=None, unassigned=False, search=None,
                          mentioning=None):
    """Conversations ``user`` may see, newest activity first, with filters already validated.

    ``mentioning``: only those where a note @mentions that person and they have not
    opened the conversation since (the lists' "Mentioning me"; one subquery).

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
    if mentioning is not None:
        marks = Mention.objects.filter(conversation=OuterRef("pk"), mentioned=mentioning, cleared_at__isnull=True)
        queryset = queryset.filter(Exists(marks))
    if search is not None:
        # Reads the database on MariaDB to choose its plan (conversations/search.py). The
        # team finds notes too; anyone else searches only what they may read.
        queryset = search_conversations(queryset, search, messages=Message.objects.for_viewer(user))
    # The pages' rows print the participant and the assignee; the API also shows the
    # ticket and joins it itself (a fourth join costs the pages 1.4 ms for 25 rows).
    return queryset.select_related("customer", "lead", "assigned_to").newest_activity_first()


def conversation_assigned_list_for(user, *, status=None, search=None, mentioning=None):
    """The inbox: conversations assigned to ``user`` (staff, or an admin's own)."""
    return conversation_list_for(user, status=status, assigned_to=user, search=search, mentioning=mentioning)


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

    The team counts the participant's unread messages; a customer counts the team's
    replies, never an internal note.
    """
    ids = [conversation.pk for conversation in conversations]
    if not ids:
        return {}
    rows = (
        Message.objects.for_participant().filter(
            conversation_id__in=ids, from_participant=viewer.is_team, read_at__isnull=True
        )
        .values("conversation_id")
        .annotate(unread=Count("id"))
        .order_by()  # no join to the conversation for Message's default ordering
    )
    return {row["conversation_id"]: row["unread"] for row in rows}


def attention_for(user) -> tuple[int, list[int]]:
    """What waits for ``user``, for the browser tab's title count and desktop
    notifications: (count, ids of the conversations it is in), newest activity first,
    in one query.

    The team: their assigned conversations (admins' too) with unread messages from the
    participant, at most ATTENTION_LIMIT (+1 to say "more"). A customer: the team's
    unread replies in their conversation.
    """
    if user.is_team:
        unread = Message.objects.filter(conversation=OuterRef("pk"), from_participant=True, read_at__isnull=True)
        ids = list(
            Conversation.objects.visible_to(user).filter(assigned_to=user).filter(Exists(unread))
            .newest_activity_first().values_list("pk", flat=True)[: ATTENTION_LIMIT + 1]
        )
        return len(ids), ids[:ATTENTION_LIMIT]
    rows = (
        Message.objects.for_participant()
        .filter(visibility_q(user, "conversation__"), from_participant=False, read_at__isnull=True)
        .values("conversation_id").annotate(unread=Count("id")).order_by()
    )
    counts = {row["conversation_id"]: row["unread"] for row in rows}
    return sum(counts.values()), list(counts)


def last_messages_for(conversations) -> dict[int, Message]:
    """The newest message of each conversation (for the team lists' previews; a note
    included, marked as one), in one query: each conversation's row, then its message
    at (conversation, last_seq) through the unique index. Joining on the stored last_seq
    costs a quarter of spelling out one (id, seq) condition per row (7 ms of Python for
    a page of 25), and shows a message that arrived since the rows were read."""
    ids = [conversation.pk for conversation in conversations if conversation.last_seq]
    if not ids:
        return {}
    newest = Message.objects.filter(conversation_id__in=ids, seq=F("conversation__last_seq")).order_by()
    return {message.conversation_id: message for message in newest.select_related("sender")}


def message_last_cursor(conversation, *, for_team: bool = False) -> int:
    """The newest cursor the reader can have: last_seq for the team, last_public_seq for
    the participant (a note moves only the first)."""
    return conversation.last_seq if for_team else conversation.last_public_seq


def message_list_for(conversation, *, for_team: bool = False, after: int = 0, before: int | None = None,
                     limit: int = THREAD_PAGE_SIZE) -> list[Message]:
    """Messages of an already access-checked conversation as ``for_team`` or as its
    participant sees them, oldest first, at most ``limit`` (no read of a thread is
    unbounded): the first ones with a cursor > ``after``, or with ``before``, the newest
    ones with a cursor < ``before`` (the page above the oldest one shown). Either way one
    range of a unique index, whatever the thread's length.

    **The one place participant-facing reads of a thread filter out internal notes**
    (the customer chat, the API, and any later participant view such as a lead's chat):
    ``for_team`` is False unless the caller is a team member, so forgetting it hides
    notes rather than showing them. The cursor is ``seq`` for the team (every message)
    and ``public_seq`` for the participant (notes have none): both are gap-free from 1,
    so the participant cannot tell a note was written, and the page before ``before``
    is exactly the range [before - limit, before). (Asked as "cursor < before, newest
    first", MariaDB walks down from the thread's newest message when the range covers
    much of it: 5,200 rows read for 200 in a 10,000-message thread.) Each message gets
    ``cursor``, the number the reader pages with.
    """
    field = "seq" if for_team else "public_seq"
    messages = Message.objects.filter(conversation=conversation) if for_team else \
        Message.objects.for_participant().filter(conversation=conversation)
    messages = messages.filter(**{f"{field}__gt": after}).select_related("sender").order_by(field)
    if before is not None:
        messages = messages.filter(**{f"{field}__gte": before - limit, f"{field}__lt": before})
    rows = list(messages[:limit])
    for message in rows:
        message.cursor = message.cursor_for(for_team=for_team)
    return rows


def message_count_for(conversation, *, for_team: bool = False, after: int = 0, before: int | None = None) -> int:
    """How many messages the reader has after ``after`` (or before ``before``): message_list_for's count."""
    field = "seq" if for_team else "public_seq"
    messages = Message.objects.filter(conversation=conversation) if for_team else \
        Message.objects.for_participant().filter(conversation=conversation)
    if before is not None:
        return messages.filter(**{f"{field}__lt": before}).count()
    return messages.filter(**{f"{field}__gt": after}).count()


def mentionable_for(conversation, *, team=None) -> list:
    """Who a note in ``conversation`` may @mention: the active team members who can see
    it (every admin, and the assignee), by visibility_q's rule on the row. ``team``: the
    active team already loaded for the page (no query); otherwise one query."""
    from accounts.models import Role, User

    from .models import conversation_row_visible_to

    if team is None:
        team = User.objects.team().filter(Q(role=Role.ADMIN) | Q(pk=conversation.assigned_to_id)).order_by("email")
    return sorted((m for m in team if conversation_row_visible_to(m, conversation)), key=lambda m: m.mention_handle)


def mentioned_ids_for(viewer, conversations) -> set[int]:
    """Which of ``conversations`` hold an @mention of ``viewer`` they have not seen (one query)."""
    ids = [conversation.pk for conversation in conversations]
    if not ids or not viewer.is_team:
        return set()
    return set(
        Mention.objects.filter(mentioned=viewer, cleared_at__isnull=True, conversation_id__in=ids)
        .values_list("conversation_id", flat=True).distinct()
    )
