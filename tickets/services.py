"""Writes to support tickets. Conversations' services call the first two; views the last."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from conversations.models import Status

from .models import Priority, SupportTicket

TICKET_DESCRIPTION_LENGTH = 500


def ticket_record_participant_message(*, conversation, message) -> SupportTicket:
    """The participant wrote: open a ticket, or reopen the one there is (SPEC §4.1).

    Called inside conversation_post_message's transaction, with the conversation row
    locked, so two first messages cannot both create a ticket.
    """
    ticket = SupportTicket.objects.filter(conversation=conversation).first()
    if ticket is None:
        participant = conversation.participant
        name = participant.name or participant.email
        return SupportTicket.objects.create(
            conversation=conversation,
            customer_id=conversation.customer_id,
            assigned_to_id=conversation.assigned_to_id,
            subject=f"Support request from {name}"[:255],
            description=message.body[:TICKET_DESCRIPTION_LENGTH],
            status=Status.OPEN,
            priority=Priority.NORMAL,
        )
    ticket.status = Status.OPEN
    ticket.save(update_fields=["status", "updated_at"])
    return ticket


def ticket_follow_conversation(*, conversation) -> int:
    """Make the conversation's ticket (if any) agree with its assignee and status."""
    return SupportTicket.objects.filter(conversation=conversation).update(
        assigned_to_id=conversation.assigned_to_id,
        status=conversation.status,
        updated_at=timezone.now(),
    )


def ticket_set_priority(*, actor, ticket: SupportTicket, priority: str) -> SupportTicket:
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change a ticket's priority.")
    if priority not in Priority.values:
        raise ValidationError(f"Unknown priority {priority!r}.", code="invalid_choice")
    with transaction.atomic():
        locked = SupportTicket.objects.select_for_update().get(pk=ticket.pk)
        if locked.priority != priority:
            locked.priority = priority
            locked.save(update_fields=["priority", "updated_at"])
    ticket.priority = locked.priority
    ticket.updated_at = locked.updated_at
    return ticket
