"""The background work of issue 11, run by `manage.py db_worker`. Tasks take ids only
and re-read everything when they run: who is responsible for the conversation, whether
they may see it (Conversation.objects.visible_to), their account and preferences, what
is still unread. A doubled or retried task sends nothing twice (the Notification key
and its claim)."""

import logging

from django_tasks import task

from accounts.models import User
from conversations.models import Conversation
from designpi.mail import SEND_ERRORS

from . import selectors, services
from .emails import notification_email
from .models import Kind, Notification

logger = logging.getLogger(__name__)


@task()
def notify_unread(conversation_id: int, kind: str) -> int:
    """One email per responsible person with the unread messages of the conversation,
    unless an earlier email already covers a message still unread. Returns how many."""
    services.queued_batch_start(conversation_id=conversation_id, kind=kind)
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return 0
    unread = selectors.unread_range(conversation, kind)
    if unread is None:
        return 0
    sent = 0
    for recipient in selectors.message_recipients(conversation, kind):
        if selectors.already_told(recipient, conversation, kind, oldest_unread=unread[0]):
            continue
        notification = services.notification_create(
            recipient=recipient, conversation=conversation, kind=kind, first_seq=unread[0], last_seq=unread[1]
        )
        if notification is not None:
            sent += deliver(notification)
    return sent


@task()
def notify_assignment(conversation_id: int, assignee_id: int) -> int:
    conversation = Conversation.objects.filter(pk=conversation_id, assigned_to_id=assignee_id).first()
    recipient = User.objects.filter(pk=assignee_id).first()
    if conversation is None or recipient is None:
        return 0  # Reassigned (or gone) before the task ran: nothing to say.
    notification = services.notification_create(
        recipient=recipient, conversation=conversation, kind=Kind.ASSIGNED,
        first_seq=conversation.last_seq, last_seq=conversation.last_seq,
    )
    return deliver(notification) if notification is not None else 0


@task()
def notify_mention(mention_id: int) -> int:
    """A teammate was @mentioned in a note: one email, decided and checked when sent."""
    from conversations.models import Mention

    mention = Mention.objects.select_related("message", "conversation", "mentioned").filter(pk=mention_id).first()
    if mention is None:
        return 0
    notification = services.notification_create(
        recipient=mention.mentioned, conversation=mention.conversation, kind=Kind.MENTIONED,
        first_seq=mention.message.seq, last_seq=mention.message.seq,
    )
    return deliver(notification) if notification is not None else 0


@task()
def deliver_notification(notification_id: int) -> int:
    """A retry after a mail server error, or the watchdog of a claim whose worker died."""
    notification = services.notification_claim(notification_id=notification_id)
    return deliver(notification) if notification is not None else 0


def deliver(notification: Notification) -> int:
    """Send one claimed notification, judged now. 1 if it went out."""
    reason = selectors.why_not_deliver(notification)
    if reason:
        services.notification_mark_skipped(notification=notification, reason=reason)
        if notification.kind in selectors.MESSAGE_KINDS and reason in selectors.HANDED_OVER:
            # Someone else may be responsible now (a reassignment since): ask again.
            notify_unread.enqueue(notification.conversation_id, notification.kind)
        return 0
    message = notification_email(notification)
    try:
        message.send()
    except SEND_ERRORS as error:
        services.notification_retry_later(notification=notification, error=error)
        return 0
    services.notification_mark_sent(notification=notification)
    return 1
