"""Conversations in the JSON API (SPEC §6): thin views over the same selectors and
services as the portals. Access is Conversation.objects.visible_to (through
conversation_get_for / conversation_list_for); every write is a service call.
"""

from django.db import transaction
from django.http import Http404
from ninja import Query, Router
from ninja import Status as Reply
from ninja.errors import HttpError

from accounts.selectors import team_member_get
from designpi.http import is_cross_site
from designpi.api_common import (
    POST_MESSAGE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    admin_only,
    customer_only,
    responses,
    signed_in,
    team_only,
)

from .models import Conversation, Message
from .search import highlight, parse_search, search_snippets
from .schemas import (
    AdminConversationQuery,
    BulkCountOut,
    ConversationBulkIn,
    ConversationBulkOut,
    ConversationListOut,
    ConversationOut,
    ConversationPatchIn,
    MessageIn,
    MessageListOut,
    MessageOut,
    MessageQuery,
    StaffConversationQuery,
    conversation_out,
    message_out,
)
from .selectors import (
    conversation_assigned_list_for,
    conversation_get_for,
    conversation_list_for,
    conversation_list_summary,
    conversation_of_customer,
    message_count_for,
    message_list_for,
    unread_counts_for,
)
from .services import (
    BULK_LIMIT,
    KEEP,
    conversation_assign,
    conversation_bulk_apply,
    conversation_get_or_create_for_customer,
    conversation_mark_read,
    conversation_post_message,
    conversation_set_status,
)

router = Router(tags=["conversations"])


def _search(filters):
    """The validated ?q= as a SearchQuery, None without one; 400 when nothing in it can be searched."""
    if not filters.q or not filters.q.strip():
        return None
    search = parse_search(filters.q)
    if not search:
        raise HttpError(400, "q has no word to search for: words need at least 3 characters, and very "
                        "common words (the, for, with…) are not searched.")
    return search


def _conversation_page(viewer, queryset, page, *, search=None) -> dict:
    # The same capped count as the HTML lists: above LIST_COUNT_CAP it says "more".
    count, _latest = conversation_list_summary(queryset)
    rows = list(queryset.select_related("ticket")[page.offset : page.offset + page.limit])
    unread = unread_counts_for(viewer, rows)
    found = search_snippets(rows, search, messages=Message.objects.for_viewer(viewer)) if search else {}
    items = [
        conversation_out(
            row, unread_count=unread.get(row.pk, 0),
            snippet=highlight(found[row.pk].body, search) if row.pk in found else None,
        )
        for row in rows
    ]
    return {"items": items, "count": count, "recent_only": bool(search and search.recent_only)}


def _conversation_detail(viewer, pk) -> dict:
    """One conversation as the lists show it (participant, assignee and ticket in one query)."""
    conversation = conversation_list_for(viewer).select_related("ticket").get(pk=pk)
    unread = unread_counts_for(viewer, [conversation])
    return conversation_out(conversation, unread_count=unread.get(conversation.pk, 0))


@router.get(
    "/admin/conversations",
    auth=admin_only,
    response=responses({200: ConversationListOut}),
    summary="All conversations (admin)",
)
def admin_conversation_list(request, filters: Query[AdminConversationQuery]):
    """Every conversation, newest activity first; filter by `status`, `source` and
    `assigned_to` (a team member's id or `unassigned`), search with `q`."""
    search = _search(filters)
    return _conversation_page(request.auth, _admin_filtered(request.auth, filters, search=search), filters,
                              search=search)


def _admin_filtered(admin, filters, *, search):
    """The admin list's conversations for validated filters (the GET list, bulk "all matching")."""
    assigned_to = filters.assigned_to
    return conversation_list_for(
        admin,
        status=filters.status,
        source=filters.source,
        assigned_to=None if assigned_to in (None, "unassigned") else int(assigned_to),
        unassigned=assigned_to == "unassigned",
        search=search,
    )


@router.patch(
    "/admin/conversations",
    auth=admin_only,
    response=responses({200: ConversationOut}, WRITE_ERRORS),
    summary="Assign and/or change the status of a conversation (admin)",
)
def admin_conversation_update(request, payload: ConversationPatchIn):
    """Set `assigned_to` (an active team member's id, or null to unassign) and/or
    `status`; the ticket follows. A key left out is left alone; any other key in
    the body is ignored. Everything is checked before anything changes."""
    admin = request.auth
    conversation = conversation_get_for(admin, payload.conversation_id)
    changes = payload.model_fields_set
    assignee = None
    if "assigned_to" in changes and payload.assigned_to is not None:
        assignee = team_member_get(payload.assigned_to)
        if assignee is None:
            raise HttpError(400, "assigned_to must be the id of an active team member (admin or staff).")
    with transaction.atomic():
        if "assigned_to" in changes:
            conversation_assign(actor=admin, conversation=conversation, assignee=assignee)
        if "status" in changes:
            conversation_set_status(actor=admin, conversation=conversation, status=payload.status)
    return _conversation_detail(admin, conversation.pk)


@router.patch(
    "/admin/conversations/bulk",
    auth=admin_only,
    response=responses({200: ConversationBulkOut, 409: BulkCountOut}, WRITE_ERRORS),
    summary="Assign and/or change the status of many conversations (admin)",
)
def admin_conversation_bulk(request, payload: ConversationBulkIn):
    """`ids`, or `filters` plus the `expected_count` you confirmed; then `assigned_to`
    (an id, or null to unassign) and/or `status`. Each conversation is changed on its own
    with the same rules as the single PATCH (its ticket follows); one that is gone, no
    longer matches the filters or changed after `unchanged_since` is left alone and listed
    in `failed` with the reason. A bad target (not an active team member, unknown status)
    answers 400 and changes nothing; so does a selection of more than 1,000."""
    admin = request.auth
    changes = payload.model_fields_set
    if (payload.ids is None) == (payload.filters is None):
        raise HttpError(400, "Send either ids or filters (with expected_count).")
    assignee = KEEP
    if "assigned_to" in changes:
        assignee = None
        if payload.assigned_to is not None:
            assignee = team_member_get(payload.assigned_to)
            if assignee is None:
                raise HttpError(400, "assigned_to must be the id of an active team member (admin or staff).")
    queryset = None
    ids = payload.ids
    if payload.filters is not None:
        if payload.expected_count is None:
            raise HttpError(400, "With filters, send expected_count: how many conversations you mean to change.")
        queryset = _admin_filtered(admin, payload.filters, search=_search(payload.filters))
        ids = list(queryset.values_list("pk", flat=True)[: BULK_LIMIT + 1])
        if len(ids) > BULK_LIMIT:
            raise HttpError(400, f"These filters select more than {BULK_LIMIT:,} conversations; narrow them.")
        if len(ids) != payload.expected_count:
            return Reply(409, {"detail": f"The filters select {len(ids)} conversations now, not "
                               f"{payload.expected_count}. Nothing changed; check and send the new count.",
                               "count": len(ids)})
    result = conversation_bulk_apply(
        actor=admin, ids=ids, assignee=assignee, status=payload.status if "status" in changes else None,
        unchanged_since=payload.unchanged_since, within=queryset,
    )
    return {"changed": result.changed, "unchanged": result.unchanged,
            "failed": [{"id": pk, "reason": reason} for pk, reason in result.failed]}


@router.get(
    "/staff/conversations",
    auth=team_only,
    response=responses({200: ConversationListOut}),
    summary="The caller's assigned conversations (staff, admin)",
)
def staff_conversation_list(request, filters: Query[StaffConversationQuery]):
    """Conversations assigned to the caller, newest activity first; filter by `status`, search with `q`."""
    search = _search(filters)
    queryset = conversation_assigned_list_for(request.auth, status=filters.status, search=search)
    return _conversation_page(request.auth, queryset, filters, search=search)


@router.get(
    "/conversations/{int:conversation_id}/messages",
    auth=signed_in,
    response=responses({200: MessageListOut}),
    summary="Messages of a conversation",
)
def message_list(request, conversation_id: int, query: Query[MessageQuery]):
    """Messages with `seq` greater than `after`, oldest first (poll with the last
    `seq` you have); or with `before` instead, the newest `limit` messages with a
    smaller `seq`, oldest first (page back with the oldest `seq` you have; `count`
    is then how many there are before it). Reading marks the other side's messages
    read up to the newest returned: a team member reads the participant's, the
    customer reads the team's. The marks show from the next request on. A
    conversation you cannot see answers 404; `after` and `before` together 400.
    The team gets internal notes too (`"internal": true`); the customer never does,
    and their `seq` numbers only what they see (still 1, 2, 3… without gaps)."""
    reader = request.auth
    conversation = conversation_get_for(reader, conversation_id)
    for_team = reader.is_team
    messages = message_list_for(conversation, for_team=for_team, after=query.after, before=query.before,
                                limit=query.limit)
    if len(messages) < query.limit:
        count = len(messages)
    else:
        count = message_count_for(conversation, for_team=for_team, after=query.after, before=query.before)
    if messages and not is_cross_site(request):  # another site's link marks nothing read
        conversation_mark_read(reader=reader, conversation=conversation, up_to_seq=messages[-1].seq)
    return {"items": [message_out(message, for_team=for_team) for message in messages], "count": count}


@router.post(
    "/conversations/{int:conversation_id}/messages",
    auth=signed_in,
    response=responses({201: MessageOut}, POST_MESSAGE_ERRORS),
    summary="Post a message",
)
def message_create(request, conversation_id: int, payload: MessageIn):
    """Post `{"body": …}` as the signed-in user (SPEC §4.1: the ticket is opened or
    reopened when the participant writes). Sender, seq and read marks are the
    server's; keys for them in the body are ignored. Needs the X-CSRFToken header.
    Too many messages from one person in a minute answers 429 with Retry-After.
    A team member may send `"internal": true` for an internal note (the customer never
    sees it; `@handle` mentions a teammate who can see the conversation, otherwise 400
    naming them); from a customer it answers 403 and stores nothing."""
    actor = request.auth
    conversation = conversation_get_for(actor, conversation_id)
    try:
        message = conversation_post_message(
            actor=actor, conversation=conversation, body=payload.body, client_token=payload.client_token,
            internal=payload.internal,
        )
    except Conversation.DoesNotExist:
        # Lost access between the read and the row lock (e.g. just reassigned).
        raise Http404("No such conversation.") from None
    return Reply(201, message_out(message, for_team=actor.is_team))


@router.get(
    "/portal/conversation",
    auth=customer_only,
    response=responses({200: ConversationOut}, READ_ERRORS),
    summary="The customer's conversation (created on first need)",
)
def portal_conversation(request):
    """The signed-in customer's one conversation, created if they have none yet
    (not when another site caused the request: that answers 403 and creates nothing)."""
    conversation = conversation_of_customer(request.auth)
    if conversation is None:
        if is_cross_site(request):
            raise HttpError(403, "A conversation is not created from another site's link. Call this from your own client.")
        conversation, _created = conversation_get_or_create_for_customer(customer=request.auth)
    return _conversation_detail(request.auth, conversation.pk)
