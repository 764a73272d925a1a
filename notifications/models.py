"""The record of every email the app decides to send (issue 11).

One row per (recipient, conversation, kind, last_seq): the unique key is what makes a
retried or doubled task send nothing twice. The row is created, and claimed, in a
transaction before the mail server is contacted, and marked sent after it accepted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    # To a team member: a conversation was assigned to them.
    ASSIGNED = "assigned", "Conversation assigned"
    # To the assignee (the admins while unassigned): the participant wrote, still unread.
    PARTICIPANT_WROTE = "participant_wrote", "Unread messages from the participant"
    # To the customer: the team replied, still unread.
    TEAM_REPLIED = "team_replied", "Unread replies from the team"
    # To a team member: a teammate @mentioned them in an internal note (issue 14).
    MENTIONED = "mentioned", "Mentioned in an internal note"


class State(models.TextChoices):
    # Waiting for its next attempt (after a mail server error, at next_attempt_at).
    PENDING = "pending", "Pending"
    # Claimed by a worker, which is talking to the mail server since claimed_at.
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    # Not sent, and never will be: `reason` says why (no longer visible, read meanwhile…).
    SKIPPED = "skipped", "Skipped"
    # The mail server refused it MAX_SEND_ATTEMPTS times (designpi/mail.py).
    FAILED = "failed", "Failed"


# The states that count as "they were told" for batching: one of these covering an
# unread message means no new email until they read.
TOLD_STATES = (State.PENDING, State.SENDING, State.SENT)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    # The newest message seq this email covers (for ASSIGNED: the conversation's last_seq
    # when it was decided; for MENTIONED: the note's seq). Part of the unique key.
    last_seq = models.PositiveIntegerField()
    # The oldest message seq it covers (for ASSIGNED: equal to last_seq).
    first_seq = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.SENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "conversation", "kind", "last_seq"], name="notification_once"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=State.values), name="notification_state_valid"),
            models.CheckConstraint(condition=Q(first_seq__lte=models.F("last_seq")), name="notification_seq_range"),
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient_id} about conversation {self.conversation_id} (≤{self.last_seq})"


class QueuedBatch(models.Model):
    """"A notify_unread task is queued for this conversation and side, and has not started."

    While it exists, new messages queue nothing more: the queued task will email whatever
    is unread when it runs. The task deletes it first thing, so a message after that
    queues a new task (at worst one task too many, never one too few). 1,000 messages in
    100 conversations within the delay are 100 tasks, not 1,000 (docs/BENCHMARKS.md)."""

    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="queued_batches"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "kind"], name="queued_batch_once")]
