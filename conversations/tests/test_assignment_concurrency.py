"""Automatic assignment under real concurrency on MariaDB (issue 14; SECURITY.md).

Arrivals, drains and resolutions race in real threads with real connections and real
after-commit triggers: no conversation may be handed out twice and nobody may end up
with more OPEN conversations handed to them than their capacity."""

import random

import pytest
from django.db import connection
from django.db.models import Count

from accounts.models import User
from conversations.assignment import assignment_drain, assignment_set_mode, team_loads
from conversations.models import AssignmentMode, AssignmentRecord, Conversation, Status
from conversations.services import conversation_post_message, conversation_set_status, conversation_start_for_lead
from tests.concurrency import run_in_threads
from tests.factories import AdminFactory, LeadFactory, StaffFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.mariadb(reason="SELECT … FOR UPDATE SKIP LOCKED and row locks need MariaDB/MySQL"),
]


def test_the_database_has_skip_locked():
    # The claim falls back to a plain FOR UPDATE without it; production must have it.
    assert connection.features.has_select_for_update_skip_locked


@pytest.mark.parametrize("mode", [AssignmentMode.LEAST_LOADED, AssignmentMode.ROUND_ROBIN])
def test_racing_arrivals_and_drains_never_double_assign_or_overfill(settings, mode):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
    admin = AdminFactory()
    capacities = [1, 2, 3, 5, 8]
    members = [StaffFactory(capacity=c, available=True) for c in capacities]
    assignment_set_mode(actor=admin, mode=mode)
    leads = [LeadFactory() for _ in range(8)]
    # A backlog that is already waiting when the race starts.
    for lead in leads:
        conversation = conversation_start_for_lead(actor=None, lead=lead)
        conversation_post_message(actor=None, conversation=conversation, body="first")
    assert sum(team_loads([m.pk for m in members]).values()) == 8  # handed out on commit

    def work(i):
        rng = random.Random(i)
        for _ in range(12):
            if i % 4 == 0:
                assignment_drain()
            elif i % 4 == 1:  # a member finishes something, freeing a slot
                member = rng.choice(members)
                mine = Conversation.objects.filter(assigned_to=member, status=Status.OPEN).first()
                if mine is not None:
                    conversation_set_status(actor=member, conversation=mine, status=Status.RESOLVED)
            else:  # an arrival; its commit triggers a drain in this thread
                conversation = conversation_start_for_lead(actor=None, lead=rng.choice(leads))
                conversation_post_message(actor=None, conversation=conversation, body="help")

    _, errors = run_in_threads(work, 8)
    assert errors == [None] * 8

    doubled = AssignmentRecord.objects.values("conversation").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubled.exists()
    loads = team_loads([m.pk for m in members])
    capacity = dict(User.objects.filter(pk__in=loads).values_list("pk", "capacity"))
    assert all(loads[pk] <= capacity[pk] for pk in loads), (loads, capacity)
    for record in AssignmentRecord.objects.select_related("conversation"):
        assert record.conversation.assigned_to_id == record.assignee_id
    # Work-conserving: what still waits, waits because everyone available is full.
    if Conversation.objects.filter(assigned_to__isnull=True, status=Status.OPEN).exists():
        assert all(loads[pk] == capacity[pk] for pk in loads), (loads, capacity)
    assert AssignmentRecord.objects.count() > 8
