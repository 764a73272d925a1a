"""Automatic assignment (issue 14): the rules, the triggers, and a 1,000-arrival run."""

import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conversations.assignment import (
    assignment_drain,
    assignment_set_mode,
    choose_assignee,
    team_loads,
    user_set_available,
    user_set_capacity,
)
from conversations.models import AssignmentMode, AssignmentRecord, Conversation, Status
from conversations.services import (
    conversation_assign,
    conversation_post_message,
    conversation_set_status,
    conversation_start_for_lead,
)
from tests.factories import AdminFactory, LeadFactory, StaffFactory
from tickets.models import SupportTicket

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def arrive(django_capture_on_commit_callbacks):
    """arrive(lead) -> a new lead conversation with the lead's first message, its
    after-commit triggers run (as after a real request)."""

    def _arrive(lead):
        with django_capture_on_commit_callbacks(execute=True):
            conversation = conversation_start_for_lead(actor=None, lead=lead)
            conversation_post_message(actor=None, conversation=conversation, body="Hello?")
        return conversation

    return _arrive


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """run(fn, **kwargs): call a service and run its after-commit triggers."""

    def _run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return _run


def team(capacities, available=True):
    return [StaffFactory(capacity=c, available=available) for c in capacities]


def test_off_by_default_nothing_is_assigned(arrive):
    team([5])
    conversation = arrive(LeadFactory())
    conversation.refresh_from_db()
    assert conversation.assigned_to_id is None and not AssignmentRecord.objects.exists()


def test_an_arrival_goes_to_an_available_member_with_record_ticket_and_email(admin, arrive, run, mailoutbox):
    busy_off, on = StaffFactory(capacity=5, available=False), StaffFactory(capacity=5, available=True)
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.LEAST_LOADED)
    conversation = arrive(LeadFactory())
    conversation.refresh_from_db()
    assert conversation.assigned_to == on
    record = AssignmentRecord.objects.get()
    assert (record.conversation, record.assignee, record.rule) == (conversation, on, "least_loaded")
    assert SupportTicket.objects.get(conversation=conversation).assigned_to == on
    assert busy_off.assigned_conversations.count() == 0


def test_a_conversation_without_a_message_does_not_wait(admin, run):
    team([5])
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.ROUND_ROBIN)
    conversation = conversation_start_for_lead(actor=None, lead=LeadFactory())
    assert assignment_drain() == []
    conversation.refresh_from_db()
    assert conversation.assigned_to_id is None


def test_the_backlog_waits_for_availability_then_drains_in_arrival_order(admin, arrive, run):
    (member,) = team([2], available=False)
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.ROUND_ROBIN)
    lead = LeadFactory()
    arrived = [arrive(lead) for _ in range(4)]
    assert not AssignmentRecord.objects.exists()
    run(user_set_available, actor=member, available=True)
    assert [r.conversation_id for r in AssignmentRecord.objects.order_by("id")] == [c.pk for c in arrived[:2]]
    # Full: the other two wait until one of the member's conversations leaves OPEN.
    run(conversation_set_status, actor=member, conversation=arrived[1], status=Status.RESOLVED)
    assert [r.conversation_id for r in AssignmentRecord.objects.order_by("id")] == [c.pk for c in arrived[:3]]
    run(user_set_capacity, actor=admin, user=member, capacity=3)
    assert [r.conversation_id for r in AssignmentRecord.objects.order_by("id")] == [c.pk for c in arrived]


def test_turning_the_mode_on_drains_what_waited(admin, arrive, run):
    team([10, 10])
    arrived = [arrive(LeadFactory()) for _ in range(3)]
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.ROUND_ROBIN)
    assert Conversation.objects.filter(pk__in=[c.pk for c in arrived], assigned_to__isnull=True).count() == 0


def test_round_robin_takes_turns_and_skips_the_full_and_the_unavailable(admin, arrive, run):
    a, b, c = team([100, 1, 100])
    off = StaffFactory(capacity=100, available=False)
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.ROUND_ROBIN)
    lead = LeadFactory()
    for _ in range(7):
        arrive(lead)
    order = list(AssignmentRecord.objects.order_by("id").values_list("assignee_id", flat=True))
    assert order == [a.pk, b.pk, c.pk, a.pk, c.pk, a.pk, c.pk]
    assert off.pk not in order


def test_least_loaded_picks_the_fewest_open(admin, arrive, run):
    a, b = team([100, 100])
    lead = LeadFactory()
    for _ in range(3):  # by hand: a has 3 open, b none
        conversation_assign(actor=admin, conversation=conversation_start_for_lead(actor=None, lead=lead), assignee=a)
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.LEAST_LOADED)
    for _ in range(4):
        arrive(lead)
    assert team_loads([a.pk, b.pk]) == {a.pk: 4, b.pk: 3}
    assert list(AssignmentRecord.objects.order_by("id").values_list("assignee_id", flat=True)) == [b.pk, b.pk, b.pk, a.pk]


def test_choose_assignee_ties_rotate():
    users = [StaffFactory.build(pk=pk) for pk in (1, 2, 3)]
    loads = {1: 0, 2: 0, 3: 0}
    assert choose_assignee(mode="least_loaded", candidates=users, loads=loads, last_assignee_id=1).pk == 2
    assert choose_assignee(mode="least_loaded", candidates=users, loads=loads, last_assignee_id=3).pk == 1
    assert choose_assignee(mode="round_robin", candidates=users, loads={1: 9, 2: 0, 3: 0}, last_assignee_id=3).pk == 1
    assert choose_assignee(mode="round_robin", candidates=[], loads={}, last_assignee_id=None) is None


def test_admins_still_assign_by_hand_past_capacity_and_availability(admin, arrive, run):
    (member,) = team([1], available=False)
    run(assignment_set_mode, actor=admin, mode=AssignmentMode.LEAST_LOADED)
    lead = LeadFactory()
    for _ in range(2):
        conversation = conversation_start_for_lead(actor=None, lead=lead)
        run(conversation_assign, actor=admin, conversation=conversation, assignee=member)
    assert team_loads([member.pk]) == {member.pk: 2}
    assert not AssignmentRecord.objects.exists()


def test_only_admins_set_mode_and_capacity_and_only_team_is_available(admin):
    staff = StaffFactory()
    with pytest.raises(PermissionDenied):
        assignment_set_mode(actor=staff, mode=AssignmentMode.ROUND_ROBIN)
    with pytest.raises(PermissionDenied):
        user_set_capacity(actor=staff, user=staff, capacity=50)
    with pytest.raises(ValidationError):
        assignment_set_mode(actor=admin, mode="fastest")
    for bad in (0, -1, 1001, "3"):
        with pytest.raises(ValidationError):
            user_set_capacity(actor=admin, user=staff, capacity=bad)
    with pytest.raises(PermissionDenied):
        from tests.factories import CustomerFactory

        user_set_available(actor=CustomerFactory(), available=True)
    staff.refresh_from_db()
    assert (staff.capacity, staff.available) == (10, False)


@pytest.mark.parametrize("mode", [AssignmentMode.LEAST_LOADED, AssignmentMode.ROUND_ROBIN])
def test_one_thousand_arrivals_with_five_members_of_different_capacities(admin, arrive, run, settings, mode):
    """Arrivals, resolutions and availability changes interleaved at random (seeded).
    After every step: nobody over capacity; nothing waits while an available member has
    room; no conversation recorded twice. At the end: the order conversations were handed
    out is exactly their arrival order."""
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
    rng = random.Random(14)
    capacities = [1, 3, 5, 10, 50]
    members = team(capacities)
    run(assignment_set_mode, actor=admin, mode=mode)
    lead = LeadFactory()
    arrived = []

    def check():
        loads = team_loads([m.pk for m in members])
        fresh = {m.pk: m for m in type(members[0]).objects.filter(pk__in=loads)}
        assert all(loads[pk] <= fresh[pk].capacity for pk in loads), loads
        waiting = Conversation.objects.filter(assigned_to__isnull=True, status=Status.OPEN).exists()
        if waiting:
            assert all(loads[pk] >= fresh[pk].capacity for pk in loads if fresh[pk].available), loads

    for step in range(1000):
        arrived.append(arrive(lead).pk)
        if rng.random() < 0.9:  # somebody finishes one of theirs
            member = rng.choice(members)
            mine = list(Conversation.objects.filter(assigned_to=member, status=Status.OPEN).order_by("id")[:1])
            if mine:
                run(conversation_set_status, actor=member, conversation=mine[0],
                    status=rng.choice([Status.RESOLVED, Status.CLOSED, Status.PENDING]))
        if rng.random() < 0.03:
            member = rng.choice(members)
            member.refresh_from_db()
            run(user_set_available, actor=member, available=not member.available)
        if step % 10 == 0:
            check()
    check()
    # Everyone available and everything resolved: the rest of the backlog drains.
    for member in members:
        run(user_set_available, actor=member, available=True)
    while Conversation.objects.filter(assigned_to__isnull=True, status=Status.OPEN).exists():
        open_ones = Conversation.objects.filter(assigned_to__isnull=False, status=Status.OPEN)
        for conversation in open_ones:
            run(conversation_set_status, actor=conversation.assigned_to, conversation=conversation,
                status=Status.RESOLVED)
        check()

    handed = list(AssignmentRecord.objects.order_by("id").values_list("conversation_id", flat=True))
    assert handed == arrived  # each exactly once, in arrival order
    assert Conversation.objects.filter(pk__in=arrived, assigned_to__isnull=True).count() == 0
    counts = {m.pk: AssignmentRecord.objects.filter(assignee=m).count() for m in members}
    assert all(counts.values()), counts  # everyone got some
    # The biggest capacity took the most (both rules send more to whoever has room).
    assert counts[members[-1].pk] == max(counts.values())
