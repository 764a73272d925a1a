"""Every write to notifications and email preferences (issue 11).

The conversation services call one function each here (notify_message_posted,
notify_assigned): they queue a task when the transaction commits and never talk to a
mail server. The tasks (notifications/tasks.py) decide, claim and send through the
notification_* functions below, each its own short transaction.
"""

import logging
import zoneinfo
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from conversations.models import Conversation, Message
from designpi.mail import MAX_SEND_ATTEMPTS, SEND_LEASE, retry_wait

from .models import Kind, Notification, QueuedBatch, State
from .tokens import PREFERENCES

logger = logging.getLogger(__name__)

# A QueuedBatch marker this much older than the delay has lost its task: replaced.
QUEUED_BATCH_STALE = timedelta(hours=1)


def _enqueue_on_commit(task, *args) -> None:
    transaction.on_commit(partial(task.enqueue, *args), robust=True)


def notify_message_posted(*, message: Message) -> None:
    """After a message is posted: in NOTIFICATION_DELAY_SECONDS, email the other side
    about whatever is still unread then (the task decides who and whether)."""
    from . import tasks

    conversation = message.conversation
    if message.from_participant:
        kind = Kind.PARTICIPANT_WROTE
    elif conversation.customer_id:
        kind = Kind.TEAM_REPLIED
    else:
        return  # A lead has no account: replies to leads are not emailed yet (issue 12).
    conversation_id, delay = conversation.pk, timedelta(seconds=settings.NOTIFICATION_DELAY_SECONDS)

    def enqueue_once():
        # An existing marker means a queued task will cover this message too (one query,
        # the usual case in a busy conversation), unless it is far older than the delay
        # (its task row was deleted by hand, say): then it is replaced.
        batch = QueuedBatch.objects.filter(conversation_id=conversation_id, kind=kind)
        queued_at = batch.values_list("queued_at", flat=True).first()
        if queued_at is not None:
            if queued_at >= timezone.now() - delay - QUEUED_BATCH_STALE:
                return
            batch.filter(queued_at=queued_at).delete()
        # The marker and the task in one transaction: both or neither. A concurrent post
        # that queued first wins on the unique constraint.
        try:
            with transaction.atomic():
                QueuedBatch.objects.create(conversation_id=conversation_id, kind=kind)
                task = tasks.notify_unread.using(run_after=timezone.now() + delay) if delay else tasks.notify_unread
                task.enqueue(conversation_id, kind.value)
        except IntegrityError:
            pass

    # robust: the message is committed; a failed enqueue is logged, not a 500 for the sender.
    transaction.on_commit(enqueue_once, robust=True)


def notify_assigned(*, actor: User | None, conversation: Conversation) -> None:
    """After an assignment: tell the new assignee (not an admin assigning themselves).
    ``actor`` None: automatic assignment (conversations.assignment)."""
    from . import tasks

    if conversation.assigned_to_id is None or (actor is not None and conversation.assigned_to_id == actor.pk):
        return
    _enqueue_on_commit(tasks.notify_assignment, conversation.pk, conversation.assigned_to_id)


def notify_mentioned(*, mentions) -> None:
    """After a note with @mentions: one email task per mention, queued on commit; the task
    decides at send time (active, preference on, may still see the conversation)."""
    from . import tasks

    for mention in mentions:
        _enqueue_on_commit(tasks.notify_mention, mention.pk)


def queued_batch_start(*, conversation_id: int, kind: str) -> None:
    """The queued notify_unread task starts: a message from now on queues a new one."""
    QueuedBatch.objects.filter(conversation_id=conversation_id, kind=kind).delete()


def notification_create(*, recipient: User, conversation: Conversation, kind: str, first_seq: int,
                        last_seq: int) -> Notification | None:
    """Record and claim one email, or None when the same one (same key) exists already:
    a doubled or retried task stops here. The watchdog task queued in the same
    transaction sends it again if this worker dies before marking it sent."""
    from . import tasks

    now = timezone.now()
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                recipient=recipient, conversation=conversation, kind=kind, first_seq=first_seq,
                last_seq=last_seq, state=State.SENDING, attempts=1, created_at=now, claimed_at=now,
            )
            tasks.deliver_notification.using(run_after=now + SEND_LEASE).enqueue(notification.pk)
    except IntegrityError:
        return None
    return notification


def notification_claim(*, notification_id: int) -> Notification | None:
    """Claim a row for a retry: a PENDING one whose time has come, or a SENDING one whose
    worker died (claim older than SEND_LEASE). None for anything else (sent, skipped,
    failed, being sent right now, not due): a doubled task does nothing."""
    from . import tasks

    now = timezone.now()
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None:
            return None
        due = (
            (notification.state == State.PENDING and notification.next_attempt_at <= now)
            or (notification.state == State.SENDING and notification.claimed_at <= now - SEND_LEASE)
        )
        if not due:
            return None
        notification.state = State.SENDING
        notification.claimed_at = now
        notification.attempts += 1
        notification.save(update_fields=["state", "claimed_at", "attempts"])
        tasks.deliver_notification.using(run_after=now + SEND_LEASE).enqueue(notification.pk)
    return notification


def notification_mark_sent(*, notification: Notification) -> None:
    notification.state = State.SENT
    notification.sent_at = timezone.now()
    notification.reason = ""
    notification.save(update_fields=["state", "sent_at", "reason"])


def notification_mark_skipped(*, notification: Notification, reason: str) -> None:
    notification.state = State.SKIPPED
    notification.reason = reason[:200]
    notification.save(update_fields=["state", "reason"])
    logger.info("notification %s skipped: %s", notification.pk, reason)


def notification_retry_later(*, notification: Notification, error: BaseException) -> None:
    """The mail server failed: try again later with a growing wait, or give up."""
    from . import tasks

    reason = f"{type(error).__name__}: {error}"[:200]
    with transaction.atomic():
        notification.reason = reason
        if notification.attempts >= MAX_SEND_ATTEMPTS:
            notification.state = State.FAILED
            notification.save(update_fields=["state", "reason"])
            logger.error("notification %s failed after %s attempts: %s", notification.pk,
                         notification.attempts, reason)
            return
        wait = retry_wait(notification.attempts)
        notification.state = State.PENDING
        notification.next_attempt_at = timezone.now() + wait
        notification.save(update_fields=["state", "reason", "next_attempt_at"])
        tasks.deliver_notification.using(run_after=notification.next_attempt_at).enqueue(notification.pk)
    logger.warning("notification %s attempt %s failed (%s); next at %s", notification.pk,
                   notification.attempts, reason, notification.next_attempt_at.isoformat())


def user_set_email_preferences(*, actor: User, notify_messages: bool, time_zone: str,
                               notify_assigned: bool | None = None, notify_mentions: bool | None = None) -> User:
    """A person changes which emails they get and the zone their times are written in.
    ``notify_assigned`` and ``notify_mentions`` are a team member's only (None: left as it is)."""
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ValidationError(f"Unknown time zone {time_zone!r}.", code="invalid_choice")
    changes = {"notify_messages": bool(notify_messages), "time_zone": time_zone}
    if notify_assigned is not None and actor.is_team:
        changes["notify_assigned"] = bool(notify_assigned)
    if notify_mentions is not None and actor.is_team:
        changes["notify_mentions"] = bool(notify_mentions)
    changed = [field for field, value in changes.items() if getattr(actor, field) != value]
    if not changed:
        return actor
    for field in changed:
        setattr(actor, field, changes[field])
    with transaction.atomic():
        User.objects.filter(pk=actor.pk).update(**{field: changes[field] for field in changed})
    return actor


def user_unsubscribe(*, user: User, preference: str) -> bool:
    """One-click unsubscribe: turn one preference off. True if it was on."""
    if preference not in PREFERENCES:
        raise ValidationError(f"Unknown preference {preference!r}.", code="invalid_choice")
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, **{preference: True}).update(**{preference: False})
    setattr(user, preference, False)
    if changed:
        logger.info("user %s unsubscribed from %s", user.pk, preference)
    return bool(changed)
