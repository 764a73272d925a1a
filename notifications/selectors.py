"""Reads for the notification tasks. Everything is judged when the email is sent: who is
responsible for a conversation now, whether they may see it now (through
Conversation.objects.visible_to), what is still unread now."""

from django.db.models import Max, Min

from accounts.models import Role, User
from conversations.models import Conversation, Message

from .models import TOLD_STATES, Kind, Notification

# Which side's messages each kind is about (Message.from_participant).
FROM_PARTICIPANT = {Kind.PARTICIPANT_WROTE: True, Kind.TEAM_REPLIED: False}
# The preference (a User field) that turns each kind off.
PREFERENCE = {Kind.ASSIGNED: "notify_assigned", Kind.PARTICIPANT_WROTE: "notify_messages",
              Kind.TEAM_REPLIED: "notify_messages", Kind.MENTIONED: "notify_mentions"}
# The kinds about one conversation's unread messages (notify_unread); the others are
# about one event (an assignment, a mention) and are never handed over to someone else.
MESSAGE_KINDS = (Kind.PARTICIPANT_WROTE, Kind.TEAM_REPLIED)


def message_recipients(conversation: Conversation, kind: str) -> list[User]:
    """Who gets the unread-messages email of ``conversation`` now: the assignee, or every
    active admin while it is unassigned (participant wrote); the customer (team replied;
    a lead has no account, so nobody yet). Only active accounts with the preference on."""
    if kind == Kind.PARTICIPANT_WROTE:
        if conversation.assigned_to_id:
            people = User.objects.filter(pk=conversation.assigned_to_id)
        else:
            people = User.objects.filter(role=Role.ADMIN)
    elif kind == Kind.TEAM_REPLIED and conversation.customer_id:
        people = User.objects.filter(pk=conversation.customer_id)
    else:
        return []
    return list(people.filter(is_active=True, **{PREFERENCE[kind]: True}).order_by("pk"))


def unread_range(conversation: Conversation, kind: str) -> tuple[int, int] | None:
    """(oldest, newest) seq of the messages ``kind`` is about that nobody has read yet.
    Internal notes are never in a message email (they are not replies, and the customer
    must never read one); a mention has its own email."""
    row = Message.objects.for_participant().filter(
        conversation=conversation, from_participant=FROM_PARTICIPANT[kind], read_at__isnull=True
    ).aggregate(first=Min("seq"), last=Max("seq"))
    return None if row["first"] is None else (row["first"], row["last"])


def already_told(recipient: User, conversation: Conversation, kind: str, *, oldest_unread: int) -> bool:
    """True when an email to ``recipient`` already covers a message that is still unread:
    then nothing more until they read it (the batching rule)."""
    return Notification.objects.filter(
        recipient=recipient, conversation=conversation, kind=kind,
        last_seq__gte=oldest_unread, state__in=TOLD_STATES,
    ).exists()


# Reasons a claimed email is not sent. The first two mean someone else may be the right
# recipient now (a reassignment): the task asks again.
NOT_VISIBLE = "the recipient may no longer see the conversation"
NOT_RESPONSIBLE = "the recipient is no longer the one responsible for the conversation"
HANDED_OVER = (NOT_VISIBLE, NOT_RESPONSIBLE)


def why_not_deliver(notification: Notification) -> str:
    """"" when the email may go out now; otherwise the reason it must not (stored on the
    row). Re-reads the recipient and the conversation: this is the send-time check."""
    recipient = User.objects.filter(pk=notification.recipient_id).first()
    if recipient is None or not recipient.is_active:
        return "the recipient's account is inactive"
    if not getattr(recipient, PREFERENCE[notification.kind]):
        return "the recipient turned this email off"
    conversation = Conversation.objects.visible_to(recipient).filter(pk=notification.conversation_id).first()
    if conversation is None:
        return NOT_VISIBLE
    if notification.kind == Kind.ASSIGNED:
        if conversation.assigned_to_id != recipient.pk:
            return NOT_RESPONSIBLE
        return ""
    if notification.kind == Kind.MENTIONED:
        # The note is quoted, so the recipient must be on the team and the note still there.
        if not recipient.is_team:
            return NOT_VISIBLE
        if not mentioning_note(notification).exists():
            return "the note is gone"
        return ""
    if recipient not in message_recipients(conversation, notification.kind):
        return NOT_RESPONSIBLE
    if not unread_messages(notification).exists():
        return "the messages were read meanwhile"
    return ""


def mentioning_note(notification: Notification):
    """The internal note a MENTIONED email quotes (its seq is the notification's)."""
    return Message.objects.filter(
        conversation_id=notification.conversation_id, internal=True, seq=notification.last_seq,
    ).select_related("sender", "conversation__lead", "conversation__customer")


def unread_messages(notification: Notification):
    """The messages a message email shows: those it covers that are still unread (never
    an internal note: these emails go to the customer too)."""
    return Message.objects.for_participant().filter(
        conversation_id=notification.conversation_id,
        from_participant=FROM_PARTICIPANT[notification.kind],
        read_at__isnull=True,
        seq__gte=notification.first_seq,
        seq__lte=notification.last_seq,
    ).select_related("sender", "conversation__lead", "conversation__customer").order_by("seq")
