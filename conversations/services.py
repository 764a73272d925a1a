"""Every write to conversations and messages goes through these functions (SPEC §4).

HTML views, htmx endpoints, the JSON API and seed_demo all call them; nothing
else writes these models.
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from accounts.models import Role, User
from designpi.validators import reject_control_characters
from leads.models import Lead, LeadStatus
from leads.services import lead_create
from leads.visitor import visitor_pass_issue, visitor_pass_revoke
from notifications.services import notify_assigned, notify_mentioned, notify_message_posted
from tickets.services import ticket_follow_conversation, ticket_record_participant_message

from .mentions import mention_resolve
from .models import MESSAGE_MAX_LENGTH, Conversation, Mention, Message, Source, Status

logger = logging.getLogger(__name__)

RATE_LIMIT_WINDOW = timedelta(minutes=1)


class RateLimited(Exception):
    """Too many messages from one person in a short time (views answer 429)."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many messages. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def message_clean_body(body) -> str:
    """The one definition of an acceptable message body: 1..5,000 characters after trimming."""
    if not isinstance(body, str):
        raise ValidationError("The message must be text.", code="invalid")
    body = body.strip()
    if not body:
        raise ValidationError("Write a message before sending.", code="required")
    if len(body) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            f"A message can be at most {MESSAGE_MAX_LENGTH:,} characters (it has {len(body):,}).",
            code="max_length",
        )
    reject_control_characters(body)
    return body


def conversation_get_or_create_for_customer(*, customer: User) -> tuple[Conversation, bool]:
    """The customer's one conversation, created on first need (SPEC §4.2).

    Concurrent first calls meet on the unique constraint: the loser reads the winner's row.
    """
    if customer.role != Role.CUSTOMER:
        raise PermissionDenied("Only customers have a portal conversation.")
    existing = Conversation.objects.filter(customer=customer).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return Conversation.objects.create(customer=customer, source=Source.CUSTOMER), True
    except IntegrityError:
        return Conversation.objects.get(customer=customer), False


def conversation_start_for_lead(*, actor: User | None, lead: Lead, assigned_to: User | None = None) -> Conversation:
    """Open a new conversation with a lead (admins, or seed_demo with actor=None)."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("Only admins can start a conversation with a lead.")
    if assigned_to is not None:
        _check_assignee(assigned_to)
    return Conversation.objects.create(lead=lead, source=Source.LEAD, assigned_to=assigned_to)


def conversation_open_for_lead(*, actor: User, lead: Lead) -> tuple[Conversation, bool]:
    """The lead's newest conversation, or a new one (an admin reaching out from the
    leads list). The lead row is locked, so a double-click opens one conversation."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can start a conversation with a lead.")
    with transaction.atomic():
        Lead.objects.select_for_update().get(pk=lead.pk)
        existing = Conversation.objects.filter(lead=lead).order_by("-id").first()
        if existing is not None:
            return existing, False
        return conversation_start_for_lead(actor=actor, lead=lead), True


@dataclass
class VisitorStart:
    """What conversation_start_for_visitor did: the conversation written into and, when it
    was made just now, the cookie token for the visitor's browser (None: an existing
    conversation, whose history only its own browser or an emailed link may open)."""

    conversation: Conversation
    message: Message
    token: str | None


def conversation_start_for_visitor(*, name: str, email: str, company: str, body) -> VisitorStart:
    """A website visitor writes from the contact chat (issue 12). The lead is found by email
    (any spelling) or created with status ``new``; the message goes into the lead's open
    conversation (not RESOLVED or CLOSED), else into a new one, as the lead's own message
    (sender NULL). The lead row is locked, so two first messages make one conversation.

    Callers refuse a customer's email before this (the view answers "please sign in");
    here it would be a PermissionDenied, never a conversation.
    """
    body = message_clean_body(body)
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email, role=Role.CUSTOMER).exists():
        raise PermissionDenied("This email belongs to a customer account: sign in to write.")
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(email__iexact=email).first()
        if lead is None:
            try:
                with transaction.atomic():
                    lead = lead_create(actor=None, name=name, email=email, company=company)
            except IntegrityError:  # the same address at the same moment
                lead = Lead.objects.get(email__iexact=email)
            lead = Lead.objects.select_for_update().get(pk=lead.pk)
        if lead.status == LeadStatus.CONVERTED:
            raise PermissionDenied("This lead became a customer: sign in to write.")
        conversation = (Conversation.objects.filter(lead=lead).exclude(status__in=[Status.RESOLVED, Status.CLOSED])
                        .order_by("-id").first())
        token = None
        if conversation is None:
            conversation = conversation_start_for_lead(actor=None, lead=lead)
            token = visitor_pass_issue(conversation=conversation)
        message = conversation_post_message(actor=None, conversation=conversation, body=body)
    logger.info("conversation_start_for_visitor lead=%s conversation=%s new=%s", lead.pk, conversation.pk,
                token is not None)
    return VisitorStart(conversation=conversation, message=message, token=token)


def conversation_post_message(
    *, actor: User | None, conversation: Conversation, body, client_token: str | None = None,
    internal: bool = False,
) -> Message:
    """Post a message (SPEC §4.1), or with ``internal`` an internal note (issue 14).

    ``actor`` is the signed-in sender; ``None`` means the conversation's lead writing
    (leads have no account; used by seed_demo and inbound channels). The conversation
    is re-read under a row lock *through the visibility rule*, so a staff member who
    lost the assignment a moment ago cannot post (raises Conversation.DoesNotExist).

    ``client_token`` is the sender's idempotency key: a second post with the same key
    by the same sender returns the first message. Someone else's key never matches.

    A note (team members only: PermissionDenied for anyone else) is for the team alone:
    it takes the next ``seq`` but no ``public_seq`` and leaves ``last_public_seq``,
    ``last_message_at`` and the participant's stamp as they were (so nothing the
    participant can read changes), reopens nothing, touches no ticket, wakes no snooze,
    is not a reply (no "team replied" email) and assigns nothing. ``@handle`` in it
    mentions teammates who can see the conversation (conversations.mentions; any other
    handle refuses the whole note with ValidationError).
    """
    body = message_clean_body(body)
    if internal and (actor is None or not actor.is_team):
        raise PermissionDenied("Only the support team can write internal notes.")
    with transaction.atomic():
        # Lock order, everywhere in this module: the conversation row first, then user
        # rows. It has to be this way round because InnoDB takes shared locks on the
        # referenced user rows (sender, the ticket's assignee) when a message or ticket
        # is inserted under the conversation lock; locking a user row before a
        # conversation row would deadlock with that.
        queryset = Conversation.objects.select_for_update()
        if actor is not None:
            queryset = queryset.visible_to(actor)
        locked = queryset.get(pk=conversation.pk)
        if actor is None and locked.source != Source.LEAD:
            # A converted lead's conversation keeps lead_id but is the customer's now:
            # nobody writes there without signing in (a visitor's cookie stops here too).
            raise PermissionDenied("Only a lead conversation accepts a message without a sender.")

        if client_token:
            # Only the same sender's message is ever a duplicate. Lead messages have
            # sender NULL, which the unique index never compares equal: for them this
            # lookup, under the conversation lock, is the only deduplication.
            duplicate = locked.messages.filter(sender=actor, client_token=client_token).first()
            if duplicate is not None:
                return duplicate

        mentioned = mention_resolve(body=body, conversation=locked, author=actor) if internal else []
        if actor is not None:
            _check_rate_limit(actor)

        if internal:
            message = _post_note(locked=locked, actor=actor, body=body, client_token=client_token,
                                 mentioned=mentioned)
        else:
            message = _post_public(locked=locked, actor=actor, body=body, client_token=client_token)

    _copy_state(source=locked, target=conversation)
    return message


def _post_public(*, locked: Conversation, actor, body: str, client_token) -> Message:
    """A message both sides see (inside conversation_post_message's transaction and lock)."""
    from_participant = actor is None or locked.is_participant(actor)
    now = timezone.now()
    locked.last_seq += 1
    locked.last_public_seq += 1
    message = Message.objects.create(
        conversation=locked,
        sender=actor,
        from_participant=from_participant,
        body=body,
        seq=locked.last_seq,
        public_seq=locked.last_public_seq,
        created_at=now,
        client_token=client_token or None,
    )
    locked.last_message_at = now
    locked.updated_at = now
    update_fields = ["last_seq", "last_public_seq", "last_message_at", "updated_at"]
    if from_participant and locked.status != Status.OPEN:
        # The participant writing again means the thread needs the team: reopen it
        # (and wake it, if it was snoozed).
        locked.status = Status.OPEN
        locked.snoozed_until = None
        update_fields += ["status", "snoozed_until"]
    locked.save(update_fields=update_fields)
    if not from_participant and locked.source == Source.LEAD:
        # The team's first reply to a new lead: contacted. Only from new, so a lead
        # already qualified, converted or lost never moves back. Lead row after the
        # conversation row (this module's lock order; lead_convert_to_customer too).
        # A note is not a reply: _post_note never gets here.
        Lead.objects.filter(pk=locked.lead_id, status=LeadStatus.NEW).update(
            status=LeadStatus.CONTACTED, updated_at=now
        )
    if from_participant:
        ticket_record_participant_message(conversation=locked, message=message)
        if locked.assigned_to_id is None:
            _auto_assign_on_commit()
    # Emails the other side later about what is still unread (queued on commit).
    notify_message_posted(message=message)
    return message


def _post_note(*, locked: Conversation, actor: User, body: str, client_token, mentioned) -> Message:
    """An internal note (inside conversation_post_message's transaction and lock).

    updated_at moves, so the team's lists and live streams see it; the participant's
    stamp stays what it was (Conversation.participant_updated_at): the live feed tells
    the participant nothing, and their poll (last_public_seq) stays idle.
    """
    now = timezone.now()
    public_stamp = locked.participant_updated_at
    locked.last_seq += 1
    message = Message.objects.create(
        conversation=locked, sender=actor, from_participant=False, internal=True, body=body,
        seq=locked.last_seq, public_seq=None, created_at=now, client_token=client_token or None,
    )
    locked.public_updated_at = public_stamp
    locked.last_note_at = now
    locked.updated_at = now
    locked.save(update_fields=["last_seq", "public_updated_at", "last_note_at", "updated_at"])
    if mentioned:
        mentions = [Mention.objects.create(conversation=locked, message=message, mentioned=person, created_at=now)
                    for person in mentioned]
        notify_mentioned(mentions=mentions)
    logger.info("conversation note actor=%s conversation=%s seq=%s mentions=%s",
                actor.pk, locked.pk, message.seq, [person.pk for person in mentioned])
    return message


def mention_clear(*, reader: User, conversation: Conversation) -> int:
    """``reader`` opened the conversation: their @mention marks in it go (returns how many)."""
    return Mention.objects.filter(conversation=conversation, mentioned=reader, cleared_at__isnull=True).update(
        cleared_at=timezone.now()
    )


def conversation_assign(*, actor: User, conversation: Conversation, assignee: User | None) -> Conversation:
    """An admin sets or clears the assignee; the ticket follows (SPEC §4.3).

    The assignee is re-read under a row lock inside the transaction (the caller's
    instance may be older than a deactivation), so the assignment never lands on an
    account that is no longer an active team member: ValidationError instead.
    """
    if not actor.is_admin:
        raise PermissionDenied("Only admins can assign conversations.")
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if assignee is not None:
            # Conversation row, then user row (the module's lock order). The user lock
            # waits for a deactivation in flight (accounts.services.user_deactivate
            # updates the row), so we judge the committed state, not a stale instance.
            assignee = User.objects.select_for_update().filter(pk=assignee.pk).first()
            _check_assignee(assignee)
        if locked.assigned_to_id == (assignee.pk if assignee else None):
            _copy_state(source=locked, target=conversation)
            return conversation
        locked.assigned_to = assignee
        locked.updated_at = timezone.now()
        locked.save(update_fields=["assigned_to", "updated_at"])
        ticket_follow_conversation(conversation=locked)
        notify_assigned(actor=actor, conversation=locked)
        _auto_assign_on_commit()  # a slot freed, or (unassigned) one more waits
    logger.info(
        "conversation_assign actor=%s conversation=%s assignee=%s",
        actor.pk, locked.pk, assignee.pk if assignee else None,
    )
    _copy_state(source=locked, target=conversation)
    return conversation


def conversation_set_status(*, actor: User, conversation: Conversation, status: str) -> Conversation:
    """An admin or the assigned staff member changes the status; the ticket follows (SPEC §4.4).

    The row is re-read under the lock *through the visibility rule*: a staff member
    whose conversation was reassigned a moment ago gets Conversation.DoesNotExist
    (404, "not yours"), like any other unseen conversation. PermissionDenied (403) is
    left for someone who can see it but may not change it (its customer).
    """
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.", code="invalid_choice")
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().visible_to(actor).get(pk=conversation.pk)
        if not (actor.is_admin or (actor.role == Role.STAFF and locked.assigned_to_id == actor.pk)):
            raise PermissionDenied("Only an admin or the assigned staff member can change the status.")
        if locked.status == status:
            _copy_state(source=locked, target=conversation)
            return conversation
        locked.status = status
        locked.snoozed_until = None  # any status change by hand ends a snooze
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "snoozed_until", "updated_at"])
        ticket_follow_conversation(conversation=locked)
        if status == Status.CLOSED and locked.lead_id is not None:
            # Every visitor cookie and continue link of it stops working for good, also
            # if it is reopened later (SECURITY_CASES 36).
            visitor_pass_revoke(conversation_id=locked.pk)
        _auto_assign_on_commit()  # leaving OPEN frees a slot; reopening may make one wait
    _copy_state(source=locked, target=conversation)
    return conversation


# --- Snooze (issue 14) ---------------------------------------------------------------

SNOOZE_MAX = timedelta(days=90)


def conversation_snooze(*, actor: User, conversation: Conversation, until) -> Conversation:
    """Set the conversation PENDING until ``until`` (an aware datetime); the ticket follows.

    The same people and the same locked, visibility-checked read as conversation_set_status.
    A wake task is queued on commit to run at ``until`` (conversations/tasks.py); a task
    left over from an earlier snooze finds the time changed and does nothing.
    """
    if until is None or timezone.is_naive(until):
        raise ValidationError("Choose when the conversation should wake.", code="required")
    now = timezone.now()
    if until <= now:
        raise ValidationError("The snooze must end in the future.", code="past")
    if until > now + SNOOZE_MAX:
        raise ValidationError(f"A snooze can last at most {SNOOZE_MAX.days} days.", code="too_long")
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().visible_to(actor).get(pk=conversation.pk)
        if not (actor.is_admin or (actor.role == Role.STAFF and locked.assigned_to_id == actor.pk)):
            raise PermissionDenied("Only an admin or the assigned staff member can snooze a conversation.")
        if locked.status == Status.PENDING and locked.snoozed_until == until:
            _copy_state(source=locked, target=conversation)
            return conversation
        locked.status = Status.PENDING
        locked.snoozed_until = until
        locked.updated_at = now
        locked.save(update_fields=["status", "snoozed_until", "updated_at"])
        ticket_follow_conversation(conversation=locked)
        from .tasks import conversation_wake_task

        transaction.on_commit(
            partial(conversation_wake_task.using(run_after=until).enqueue, locked.pk), robust=True
        )
    logger.info("conversation_snooze actor=%s conversation=%s until=%s", actor.pk, locked.pk, until.isoformat())
    _copy_state(source=locked, target=conversation)
    return conversation


def conversation_wake(*, conversation_id: int) -> bool:
    """The system (no actor: the worker) sets a snoozed conversation OPEN once its time
    has come; the ticket follows. Idempotent: a conversation no longer snoozed, or snoozed
    until later, is left alone (False). The snooze was allowed when it was set; waking
    changes only the status, so no visibility check applies here."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Conversation.objects.select_for_update()
            .filter(pk=conversation_id, status=Status.PENDING, snoozed_until__lte=now)
            .first()
        )
        if locked is None:
            return False
        locked.status = Status.OPEN
        locked.snoozed_until = None
        locked.updated_at = now
        locked.save(update_fields=["status", "snoozed_until", "updated_at"])
        ticket_follow_conversation(conversation=locked)
    logger.info("conversation_wake conversation=%s", conversation_id)
    return True


def conversation_wake_due() -> int:
    """Wake every conversation whose snooze has ended (the safety sweep behind the
    per-snooze tasks: `manage.py snooze_wake_due`). Returns how many woke."""
    due = Conversation.objects.filter(status=Status.PENDING, snoozed_until__lte=timezone.now())
    return sum(conversation_wake(conversation_id=pk) for pk in due.values_list("pk", flat=True))


def conversation_mark_read(*, reader: User | None, conversation: Conversation, up_to_seq: int | None = None) -> int:
    """Mark the other side's unread messages as read (SPEC §4.5); returns how many.

    A team member reads the participant's messages; the customer reads the team's;
    ``reader`` None is the conversation's lead (a website visitor, whose views fetched
    it through Conversation.objects.for_visitor) reading the team's.
    ``up_to_seq`` limits it to what the reader was actually shown.

    When it marks anything, the conversation's ``updated_at`` moves too: read marks
    change the unread badges every list shows, and the lists' poll stamp and the live
    feed both follow ``updated_at`` (so a read in one place clears the badge on the
    other open pages). Nothing marked, nothing written: an idle or repeated read
    changes no stamp.
    """
    if reader is None:
        if conversation.lead_id is None:
            return 0
        from_participant = False
    elif reader.is_team:
        from_participant = True
    elif conversation.is_participant(reader):
        from_participant = False
    else:
        return 0
    # Notes are never read by anyone but the team, and never count as unread.
    unread = Message.objects.filter(
        conversation=conversation, from_participant=from_participant, read_at__isnull=True, internal=False
    )
    if up_to_seq is not None:
        unread = unread.filter(seq__lte=up_to_seq)
    now = timezone.now()
    # Both writes or neither; inside a caller's transaction no savepoint is needed for that.
    with transaction.atomic(savepoint=False):
        marked = unread.update(read_at=now)
        if marked:
            Conversation.objects.filter(pk=conversation.pk).update(updated_at=now)
    if marked:
        conversation.updated_at = now
    return marked


def _check_rate_limit(actor: User) -> None:
    """A per-person limit across all conversations, counted in the database so every
    worker shares it. Call it inside the posting transaction, after the conversation
    lock: the sender's user row is locked before counting, so one person's posts
    (into any conversation, from any worker) count and insert one at a time and the
    limit is exact, not count-then-insert."""
    limit = settings.MESSAGE_RATE_LIMIT_PER_MINUTE
    if not limit:
        return
    User.objects.select_for_update().values_list("pk", flat=True).get(pk=actor.pk)
    since = timezone.now() - RATE_LIMIT_WINDOW
    if Message.objects.filter(sender=actor, created_at__gte=since).count() >= limit:
        logger.warning("message rate limit hit user=%s", actor.pk)
        raise RateLimited(retry_after=int(RATE_LIMIT_WINDOW.total_seconds()))


def _auto_assign_on_commit() -> None:
    """Automatic assignment (conversations/assignment.py) after this transaction commits."""
    from .assignment import assignment_drain_on_commit

    assignment_drain_on_commit()


def _check_assignee(assignee: User | None) -> None:
    if assignee is None or not assignee.is_active or assignee.role not in (Role.ADMIN, Role.STAFF):
        raise ValidationError("Conversations can only be assigned to an active team member.", code="invalid_assignee")


def _copy_state(*, source: Conversation, target: Conversation) -> None:
    """Let the caller's instance reflect what was written under the lock."""
    if source is target:
        return
    target.status = source.status
    target.last_seq = source.last_seq
    target.last_public_seq = source.last_public_seq
    target.last_note_at = source.last_note_at
    target.public_updated_at = source.public_updated_at
    target.last_message_at = source.last_message_at
    target.updated_at = source.updated_at
    target.snoozed_until = source.snoozed_until
    if target.assigned_to_id != source.assigned_to_id:
        target.assigned_to = source.assigned_to


# --- Bulk changes (issue 13) -------------------------------------------------------

# The most conversations one bulk request may change: 1,000 single changes take a few
# seconds on MariaDB; more than that belongs in narrower filters or several requests.
BULK_LIMIT = 1000
KEEP = object()  # conversation_bulk_apply: "leave the assignee as it is"
NOT_REACHED = "not reached within the time limit; apply it again"


@dataclass
class BulkResult:
    """What a bulk change did: ids changed, ids already so, and (id, reason) refused."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for a person: "12 changed, 3 already so; 2 could not: #123 …"."""
        parts = [f"{len(self.changed)} changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already so")
        text = ", ".join(parts)
        if self.failed:
            shown = "; ".join(f"#{pk} {reason}" for pk, reason in self.failed[:5])
            more = f"; and {len(self.failed) - 5} more" if len(self.failed) > 5 else ""
            text += f". {len(self.failed)} could not: {shown}{more}"
        return text + "."


def conversation_bulk_apply(
    *, actor: User, ids, assignee=KEEP, status: str | None = None, unchanged_since=None, within=None
) -> BulkResult:
    """Assign (or unassign, ``assignee=None``) and/or set the status of many conversations.

    Each conversation is changed in its own transaction through conversation_assign and
    conversation_set_status, so each gets the same rules, one row lock and its ticket
    following, exactly as a single change; both changes of one conversation commit
    together or not at all (SECURITY_CASES 41). The target is checked once up front
    (ValidationError: nothing changes). A conversation is refused, and reported with the
    reason, when it is gone or not visible to ``actor``, when it changed after
    ``unchanged_since`` (the moment the admin looked), or when it is no longer in
    ``within`` (the filtered queryset an "all matching" selection was made from).
    """
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change conversations in bulk.")
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ValidationError("Select at least one conversation.", code="empty")
    if len(ids) > BULK_LIMIT:
        raise ValidationError(
            f"At most {BULK_LIMIT:,} conversations at once ({len(ids):,} selected); narrow the filters.",
            code="too_many",
        )
    if assignee is KEEP and status is None:
        raise ValidationError("Choose an assignee or a status to apply.", code="no_change")
    if status is not None and status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.", code="invalid_choice")
    if assignee is not KEEP and assignee is not None:
        _check_assignee(assignee)

    result = BulkResult()
    deadline = time.monotonic() + settings.BULK_TIME_LIMIT_SECONDS
    for position, pk in enumerate(ids):
        if time.monotonic() > deadline:
            # Each one so far is committed and reported; the rest are honestly "not reached".
            result.failed.extend((rest, NOT_REACHED) for rest in ids[position:])
            break
        try:
            outcome = _bulk_apply_one(actor=actor, pk=pk, assignee=assignee, status=status,
                                      unchanged_since=unchanged_since, within=within)
        except Conversation.DoesNotExist:
            outcome = "no longer exists"
        except (ValidationError, PermissionDenied) as error:
            outcome = " ".join(getattr(error, "messages", [str(error)])).rstrip(".")
        except DatabaseError:
            # A deadlock or lock timeout on one row: that conversation rolled back whole;
            # the ones before it are committed and must still be reported, so go on.
            logger.exception("conversation_bulk_apply: conversation %s not saved", pk)
            outcome = "could not be saved just now (database busy); try it again"
        if outcome is True:
            result.changed.append(pk)
        elif outcome is False:
            result.unchanged.append(pk)
        else:
            result.failed.append((pk, outcome))
    logger.info(
        "conversation_bulk_apply actor=%s changed=%s unchanged=%s failed=%s",
        actor.pk, len(result.changed), len(result.unchanged), len(result.failed),
    )
    return result


def _bulk_apply_one(*, actor, pk, assignee, status, unchanged_since, within):
    """True changed, False already so, or the reason (str) it was left alone."""
    with transaction.atomic():
        # The same lock conversation_assign / conversation_set_status take next (a
        # re-entrant row lock in this transaction): the checks and the changes see one state.
        locked = Conversation.objects.select_for_update().visible_to(actor).get(pk=pk)
        if unchanged_since is not None and locked.updated_at > unchanged_since:
            return "changed after you looked; check it and try again"
        if within is not None and not within.filter(pk=pk).exists():
            return "no longer matches the filters"
        before = (locked.assigned_to_id, locked.status)
        if assignee is not KEEP:
            conversation_assign(actor=actor, conversation=locked, assignee=assignee)
        if status is not None:
            conversation_set_status(actor=actor, conversation=locked, status=status)
        return (locked.assigned_to_id, locked.status) != before
