"""Automatic assignment (issue 14): the services that hand unassigned conversations to
available team members under their capacity, by round-robin or least-loaded.

Words used here:
- *waiting*: a conversation with no assignee, status OPEN, and at least one message.
  The backlog is handed out in arrival order (created_at, id).
- *load*: how many OPEN conversations are assigned to a person (PENDING, RESOLVED and
  CLOSED do not count).
- *eligible*: an active team member (staff or admin) with ``available`` on and load
  below ``capacity``.

The claim (assignment_claim_next) is one transaction, with the module's lock order
(conversation row first, then user rows, then the policy row):
1. the oldest waiting conversation, ``SELECT … FOR UPDATE SKIP LOCKED`` where the
   database has it (MariaDB 10.6+, MySQL 8): concurrent claims take different rows and
   none waits behind another's conversation; SQLite ignores FOR UPDATE, but its writes
   are one at a time (transaction_mode IMMEDIATE), which serialises claims whole;
2. every available team member's row, FOR UPDATE in pk order (the same order in every
   claim, so claims never deadlock with each other), and only then their loads are
   counted (READ COMMITTED: the latest committed state). Two claims therefore judge
   capacity one after the other and nobody is handed more than their capacity;
3. the policy row, for the round-robin cursor.
Conversations are handed out only by this function, so one row lock (1.) is what keeps a
conversation from being assigned twice, and the user locks (2.) keep anyone from going
over capacity through automatic assignment.

Manual assignment by an admin (services.conversation_assign) ignores availability and
capacity: an admin can always assign by hand. A participant reopening a resolved
conversation also adds to its assignee's load regardless of capacity; capacity limits
only what this module hands out.

Triggers run inline after the triggering transaction commits (assignment_drain_on_commit):
a participant's message into an unassigned conversation, a status change, an assignment
change, someone turning availability on, an admin changing a capacity or the mode. Each
drain hands out at most DRAIN_BATCH conversations, each in its own short transaction;
whatever is left waits for the next trigger.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import CAPACITY_MAX, User
from notifications.services import notify_assigned
from tickets.services import ticket_follow_conversation

from .models import AssignmentMode, AssignmentPolicy, AssignmentRecord, Conversation, Status

logger = logging.getLogger(__name__)

# The most conversations one trigger hands out (a drain runs inside the request that
# caused it; the total capacity of the available team bounds it anyway).
DRAIN_BATCH = 50


def assignment_policy() -> AssignmentPolicy:
    """The policy row (created, mode off, on first need)."""
    policy, _ = AssignmentPolicy.objects.get_or_create(pk=1)
    return policy


def waiting_conversations():
    """The backlog in arrival order (index conv_waiting_arrival)."""
    return Conversation.objects.filter(
        assigned_to__isnull=True, status=Status.OPEN, last_message_at__isnull=False
    ).order_by("created_at", "id")


def team_loads(user_ids) -> dict[int, int]:
    """{user pk: number of OPEN conversations assigned} (0 for those with none)."""
    rows = (
        Conversation.objects.filter(assigned_to__in=user_ids, status=Status.OPEN)
        .values("assigned_to").annotate(n=Count("id")).order_by()
    )
    loads = dict.fromkeys(user_ids, 0)
    loads.update({row["assigned_to"]: row["n"] for row in rows})
    return loads


def choose_assignee(*, mode: str, candidates: list[User], loads: dict[int, int], last_assignee_id):
    """The decision, without the database: ``candidates`` in pk order, all eligible.

    Round-robin: the first candidate after the last one served (by pk, wrapping round).
    Least-loaded: the fewest open conversations; ties go to the lower pk after the
    round-robin cursor (so equal loads still take turns)."""
    if not candidates:
        return None
    after = last_assignee_id or 0
    turn = sorted(candidates, key=lambda user: (user.pk <= after, user.pk))
    if mode == AssignmentMode.ROUND_ROBIN:
        return turn[0]
    return min(turn, key=lambda user: loads[user.pk])  # min() keeps the first of equals


def assignment_claim_next() -> AssignmentRecord | None:
    """Hand the oldest waiting conversation to the chosen eligible team member.

    Returns the record, or None when the mode is off, nothing waits or nobody is eligible.
    """
    with transaction.atomic():
        mode = assignment_policy().mode
        if mode == AssignmentMode.OFF:
            return None
        waiting = waiting_conversations()
        if connection.features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        else:
            waiting = waiting.select_for_update()
        conversation = waiting.first()
        if conversation is None:
            return None
        team = list(User.objects.team().filter(available=True).select_for_update().order_by("pk"))
        loads = team_loads([user.pk for user in team])
        candidates = [user for user in team if loads[user.pk] < user.capacity]
        policy = AssignmentPolicy.objects.select_for_update().get(pk=1)
        assignee = choose_assignee(mode=policy.mode, candidates=candidates, loads=loads,
                                   last_assignee_id=policy.last_assignee_id)
        if policy.mode == AssignmentMode.OFF or assignee is None:
            return None
        now = timezone.now()
        conversation.assigned_to = assignee
        conversation.updated_at = now
        conversation.save(update_fields=["assigned_to", "updated_at"])
        ticket_follow_conversation(conversation=conversation)
        notify_assigned(actor=None, conversation=conversation)
        policy.last_assignee_id = assignee.pk
        policy.save(update_fields=["last_assignee_id"])
        record = AssignmentRecord.objects.create(conversation=conversation, assignee=assignee,
                                                 rule=policy.mode, at=now)
    logger.info("assignment_claim_next conversation=%s assignee=%s rule=%s",
                conversation.pk, assignee.pk, record.rule)
    return record


def assignment_drain(*, limit: int = DRAIN_BATCH) -> list[AssignmentRecord]:
    """Claim until nothing waits, nobody is eligible, or ``limit`` is reached."""
    records = []
    while len(records) < limit:
        record = assignment_claim_next()
        if record is None:
            break
        records.append(record)
    return records


def assignment_drain_on_commit() -> None:
    """Drain once the caller's transaction has committed (at once outside one)."""
    # robust: a failed drain is logged, never turned into an error for the committed request.
    transaction.on_commit(assignment_drain, robust=True)


def assignment_set_mode(*, actor: User, mode: str) -> AssignmentPolicy:
    """An admin chooses off / round-robin / least-loaded."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change automatic assignment.")
    if mode not in AssignmentMode.values:
        raise ValidationError(f"Unknown assignment mode {mode!r}.", code="invalid_choice")
    with transaction.atomic():
        assignment_policy()
        policy = AssignmentPolicy.objects.select_for_update().get(pk=1)
        if policy.mode == mode:
            return policy
        policy.mode = mode
        policy.updated_at = timezone.now()
        policy.save(update_fields=["mode", "updated_at"])
        assignment_drain_on_commit()
    logger.info("assignment_set_mode actor=%s mode=%s", actor.pk, mode)
    return policy


def user_set_available(*, actor: User, available: bool) -> User:
    """A team member turns their own availability on or off (on: the backlog drains)."""
    if not actor.is_team:
        raise PermissionDenied("Only team members take conversations.")
    with transaction.atomic():
        updated = User.objects.filter(pk=actor.pk).exclude(available=available).update(available=available)
        if updated and available:
            assignment_drain_on_commit()
    actor.available = available
    return actor


def user_set_capacity(*, actor: User, user: User, capacity: int) -> User:
    """An admin sets a team member's capacity (raising it drains the backlog)."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can change capacities.")
    if not user.is_team:
        raise ValidationError("Only team members have a capacity.", code="invalid")
    if not isinstance(capacity, int) or not 1 <= capacity <= CAPACITY_MAX:
        raise ValidationError(f"A capacity is a whole number from 1 to {CAPACITY_MAX}.", code="invalid")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.capacity == capacity:
            return user
        raised = capacity > locked.capacity
        User.objects.filter(pk=user.pk).update(capacity=capacity)
        if raised:
            assignment_drain_on_commit()
    user.capacity = capacity
    return user
