from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role

MESSAGE_MAX_LENGTH = 5000


class Status(models.TextChoices):
    OPEN = "OPEN", "Open"
    PENDING = "PENDING", "Pending"
    RESOLVED = "RESOLVED", "Resolved"
    CLOSED = "CLOSED", "Closed"


class Source(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    LEAD = "lead", "Lead"


def visibility_q(user, prefix: str = "") -> Q:
    """Who may see which conversation: the one place this is decided (SPEC §4.6).

    ``prefix`` lets related models (tickets, messages) reuse the same rule through
    their path to the conversation, e.g. ``"conversation__"``.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.ADMIN:
        return Q()
    if user.role == Role.STAFF:
        return Q(**{f"{prefix}assigned_to": user})
    if user.role == Role.CUSTOMER:
        return Q(**{f"{prefix}customer": user})
    return Q(pk__in=[])


def conversation_row_visible_to(user, row) -> bool:
    """visibility_q's rule judged on one conversation row already read (the live feed's
    values: ``assigned_to_id`` and ``customer_id``), without a query. It must say exactly
    what ``Conversation.objects.visible_to(user)`` says for that row; a test holds the two
    together for every persona of the standard world."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.STAFF:
        return row.assigned_to_id is not None and row.assigned_to_id == user.pk
    if user.role == Role.CUSTOMER:
        return row.customer_id is not None and row.customer_id == user.pk
    return False


def conversation_row_open_to_visitor(conversation_id: int, row) -> bool:
    """For the live feed: may a visitor stream opened for ``conversation_id`` (through
    Conversation.objects.for_visitor) hear about this row as just read? The parts of
    for_visitor a row carries: the same conversation, not CLOSED, still without a customer
    (a conversation that became a customer's sets customer_id). The rest (the key, a
    converted lead) is re-checked for every visitor stream with the sessions
    (live.feed.ended_sessions), within LIVE_SESSION_RECHECK_SECONDS."""
    return row.id == conversation_id and row.status != Status.CLOSED and row.customer_id is None


def participant_stamp(updated_at, last_note_at, public_updated_at):
    """updated_at, unless the newest write was an internal note: then the stamp before it.
    (One rule for Conversation.participant_updated_at and the live feed's rows.)"""
    if last_note_at is not None and updated_at == last_note_at:
        return public_updated_at
    return updated_at


class ConversationQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(visibility_q(user))

    def for_visitor(self, token):
        """The one conversation a website visitor's cookie (or nothing) opens: the
        visitor's rule, beside visible_to. What it checks: leads/visitor.py (visitor_q):
        the signature and age of the token, the conversation's current pass key, source
        still ``lead``, the lead not converted, the conversation not CLOSED."""
        from leads.visitor import visitor_q

        return self.filter(visitor_q(token))

    def open_to_visitors(self):
        """for_visitor's rule without the key: conversations a visitor pass may still open
        (the continue link checks it before issuing a new key)."""
        from leads.visitor import open_to_visitors_q

        return self.filter(open_to_visitors_q())

    def newest_activity_first(self):
        return self.order_by("-updated_at", "-id")


class Conversation(models.Model):
    """A thread between the support team and one participant (customer or lead)."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
        limit_choices_to={"role": Role.CUSTOMER},
    )
    lead = models.ForeignKey(
        "leads.Lead", null=True, blank=True, on_delete=models.PROTECT, related_name="conversations"
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
        limit_choices_to={"role__in": [Role.ADMIN, Role.STAFF]},
    )
    # The seq of the newest message; the next one gets last_seq + 1 under a row lock.
    last_seq = models.PositiveIntegerField(default=0)
    # The participant's own sequence (issue 14, internal notes): the public_seq of the
    # newest message the participant may see. Notes move last_seq only, so the
    # participant's cursor, poll and stream never change when a note is written.
    last_public_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    # Moves on every new message and every change, read marks included (set by the services).
    updated_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Snoozed: PENDING until this moment, then the worker sets it OPEN (issue 14). Any
    # other status change, or the participant writing, clears it (conversations.services).
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # Internal notes move updated_at (the team's lists and live streams follow it) but must
    # not signal the participant. A note sets last_note_at = updated_at and keeps in
    # public_updated_at the stamp the participant last had; any other write moves
    # updated_at past last_note_at, so participant_updated_at (below) needs no other writer.
    last_note_at = models.DateTimeField(null=True, blank=True)
    public_updated_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # A customer conversation may keep its lead: a lead's conversation that
                # became the customer's portal conversation ("Make customer", issue 12)
                # keeps ``lead`` as history. A lead conversation never has a customer.
                condition=(
                    Q(source="customer", customer__isnull=False)
                    | Q(source="lead", customer__isnull=True, lead__isnull=False)
                ),
                name="conversation_one_participant_matching_source",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="conversation_status_valid"
            ),
            # A customer has one conversation (SPEC §4.2). NULLs (lead threads) never clash.
            models.UniqueConstraint(fields=["customer"], name="conversation_one_per_customer"),
        ]
        # Every list orders by (-updated_at, -id); each index ends with both, in that
        # direction, so a filtered list reads its newest rows straight off the index
        # (no filesort, whatever the table size).
        indexes = [
            models.Index(fields=["assigned_to", "status", "-updated_at", "-id"], name="conv_assignee_status_recent"),
            models.Index(fields=["assigned_to", "-updated_at", "-id"], name="conv_assignee_recent"),
            models.Index(fields=["status", "-updated_at", "-id"], name="conv_status_recent"),
            models.Index(fields=["source", "-updated_at", "-id"], name="conv_source_recent"),
            models.Index(fields=["-updated_at", "-id"], name="conv_recent"),
            # Automatic assignment's backlog: unassigned OPEN ones in arrival order.
            models.Index(fields=["assigned_to", "status", "created_at", "id"], name="conv_waiting_arrival"),
        ]

    def __str__(self):
        return f"Conversation #{self.pk} with {self.participant_name}"

    @property
    def participant(self):
        return self.customer if self.customer_id else self.lead

    @property
    def participant_updated_at(self):
        """The stamp of the newest change the participant may know of (not a note)."""
        return participant_stamp(self.updated_at, self.last_note_at, self.public_updated_at)

    @property
    def participant_name(self) -> str:
        participant = self.participant
        return participant.display_name if participant else "—"

    @property
    def is_lead(self) -> bool:
        """A lead's thread (the Lead badge). A converted lead's portal conversation keeps
        ``lead`` set as history but is the customer's: source decides, not lead_id."""
        return self.source == Source.LEAD

    @property
    def converted_from_lead(self) -> bool:
        return self.source == Source.CUSTOMER and self.lead_id is not None

    def is_participant(self, user) -> bool:
        return user is not None and self.customer_id is not None and self.customer_id == user.pk


class MessageQuerySet(models.QuerySet):
    def for_participant(self):
        """What a conversation's participant (customer, lead visitor) may ever see: every
        message but the team's internal notes. Every participant-facing read goes through
        this or selectors.message_list_for(for_team=False)."""
        return self.filter(internal=False)

    def for_viewer(self, user):
        """The team sees notes; anyone else (customer, anonymous visitor) does not."""
        if user is not None and getattr(user, "is_team", False):
            return self.all()
        return self.for_participant()


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    # Null only for a lead's own messages (leads have no account; kept after "Make customer").
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    # Written by the conversation's participant (customer or lead) rather than the team.
    # Fixed at posting time; unread counts filter on it without joining users.
    from_participant = models.BooleanField()
    body = models.TextField()
    seq = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Idempotency key sent by the client, so a double-clicked or retried send is one
    # message. It is the *sender's* key: unique per (conversation, sender), so a token
    # another participant chose first can never swallow someone else's message.
    client_token = models.CharField(max_length=64, null=True, blank=True)
    # An internal note (issue 14): written by the team for the team; the participant never
    # sees it anywhere. Fixed at posting time.
    internal = models.BooleanField(default=False)
    # The participant's cursor: 1, 2, 3… without gaps over the messages they may see
    # (NULL for notes). `seq` numbers every message, notes included, for the team.
    public_seq = models.PositiveIntegerField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "public_seq"], name="message_unique_public_seq"),
            # A note has no public_seq and every other message has one; the participant
            # never writes a note.
            models.CheckConstraint(
                condition=Q(internal=True, public_seq__isnull=True, from_participant=False)
                | Q(internal=False, public_seq__isnull=False),
                name="message_note_is_team_only",
            ),
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            # Lead messages have sender NULL, and NULLs never clash in a unique index (SQLite
            # and MariaDB alike): for them the lookup under the conversation row lock in
            # conversation_post_message is what deduplicates.
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_token"], name="message_unique_sender_client_token"
            ),
            models.CheckConstraint(condition=Q(seq__gte=1), name="message_seq_positive"),
            models.CheckConstraint(condition=~Q(body=""), name="message_body_not_empty"),
        ]
        indexes = [
            models.Index(fields=["conversation", "from_participant", "read_at"], name="message_unread_idx"),
            # For the per-sender posting rate limit.
            models.Index(fields=["sender", "created_at"], name="message_sender_recent_idx"),
        ]

    def __str__(self):
        return f"#{self.seq} in conversation {self.conversation_id}"

    def cursor_for(self, *, for_team: bool) -> int:
        """The number a reader pages with: seq for the team, public_seq for the participant."""
        return self.seq if for_team else self.public_seq

    @property
    def sender_name(self) -> str:
        if self.sender_id:
            return self.sender.display_name
        return self.conversation.participant_name


# --- Automatic assignment (issue 14; services in conversations/assignment.py) ----------


class AssignmentMode(models.TextChoices):
    OFF = "off", "Off (admins assign by hand)"
    ROUND_ROBIN = "round_robin", "Round-robin"
    LEAST_LOADED = "least_loaded", "Least-loaded (fewest open conversations)"


class AssignmentPolicy(models.Model):
    """The one row (pk 1) holding what admins chose on the Assignment page."""

    mode = models.CharField(max_length=16, choices=AssignmentMode.choices, default=AssignmentMode.OFF)
    # Round-robin: the pk of the team member who received the last conversation; the
    # next goes to the first eligible member with a higher pk (wrapping around).
    last_assignee_id = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=AssignmentMode.values), name="assignmentpolicy_mode_valid"),
        ]

    def __str__(self):
        return f"automatic assignment: {self.get_mode_display()}"


class AssignmentRecord(models.Model):
    """One automatic assignment: when, to whom, by which rule (shown in the conversation)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="assignment_records")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule = models.CharField(max_length=16, choices=AssignmentMode.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["conversation", "-at", "-id"], name="assignrecord_conv_recent")]

    @property
    def rule_label(self) -> str:
        """The rule in a sentence: "round-robin", "least-loaded"."""
        return self.rule.replace("_", "-")

    def __str__(self):
        return f"#{self.conversation_id} to {self.assignee_id} by {self.rule} at {self.at:%Y-%m-%d %H:%M:%S}"


class Mention(models.Model):
    """``@handle`` in an internal note: the mentioned teammate gets a mark in their lists
    (until they open the conversation) and, if they want it, an email (notifications)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="mentions")
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    mentioned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions")
    created_at = models.DateTimeField(default=timezone.now)
    # When they opened the conversation after it; NULL: the mark still shows.
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "mentioned"], name="mention_once_per_note")]
        indexes = [models.Index(fields=["mentioned", "cleared_at", "conversation"], name="mention_open_idx")]

    def __str__(self):
        return f"@{self.mentioned_id} in #{self.message_id}"
