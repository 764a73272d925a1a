"""Scoped reads. Every one starts from Conversation.objects.visible_to(user)."""

from django.db.models import Count, Q
from django.http import Http404

from designpi.validators import parse_id

from .models import Conversation, Message


def conversation_get_for(user, pk) -> Conversation:
    """The conversation if ``user`` may see it; otherwise 404, exactly like a missing id."""
    pk = parse_id(pk)
    if pk is None:
        raise Http404("No such conversation.")
    try:
        return (
            Conversation.objects.visible_to(user)
            .select_related("customer", "lead", "assigned_to")
            .get(pk=pk)
        )
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.") from None


def conversation_list_for(user, *, status=None, source=None, assigned_to=None, unassigned=False):
    """Conversations ``user`` may see, newest activity first, with filters already validated."""
    queryset = Conversation.objects.visible_to(user)
    if status:
        queryset = queryset.filter(status=status)
    if source:
        queryset = queryset.filter(source=source)
    if unassigned:
        queryset = queryset.filter(assigned_to__isnull=True)
    elif assigned_to is not None:
        queryset = queryset.filter(assigned_to=assigned_to)
    return queryset.select_related("customer", "lead", "assigned_to", "ticket").newest_activity_first()


def conversation_assigned_list_for(user, *, status=None):
    """The inbox: conversations assigned to ``user`` (staff, or an admin's own)."""
    return conversation_list_for(user, status=status, assigned_to=user)


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


def message_list_for(conversation, *, after: int = 0, limit: int | None = None):
    """Messages of an already access-checked conversation with seq > ``after``, oldest first."""
    queryset = conversation.messages.filter(seq__gt=after).select_related("sender").order_by("seq")
    if limit is not None:
        queryset = queryset[:limit]
    return queryset
