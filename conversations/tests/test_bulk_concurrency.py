"""Bulk changes racing single changes on MariaDB, real threads (SECURITY_CASES 24, 41)."""

import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import (
    conversation_assign,
    conversation_bulk_apply,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)
from tests.concurrency import connection_id, run_in_threads, wait_until_blocked_on_row_lock
from tests.factories import AdminFactory, CustomerFactory, StaffFactory
from tickets.models import SupportTicket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]


def make_conversations(n):
    made = []
    for i in range(n):
        customer = CustomerFactory(email=f"bulk{i}@example.test")
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        conversation_post_message(actor=customer, conversation=conversation, body="help")
        made.append(conversation)
    return made


def assert_tickets_agree(ids):
    for conversation in Conversation.objects.filter(pk__in=ids):
        assert SupportTicket.objects.get(conversation=conversation).assigned_to_id == conversation.assigned_to_id


def test_a_bulk_assign_racing_single_reassigns_leaves_every_conversation_consistent():
    admins = [AdminFactory(email=f"admin{i}@example.test") for i in range(2)]
    bulk_target, single_target = StaffFactory(email="bulk@example.test"), StaffFactory(email="single@example.test")
    conversations = make_conversations(30)
    ids = [c.pk for c in conversations]
    contested = ids[::3]

    def work(i):
        if i == 0:
            return conversation_bulk_apply(actor=admins[0], ids=ids, assignee=bulk_target)
        for pk in reversed(contested):  # from the other end, to meet the bulk midway
            conversation_assign(actor=admins[1], conversation=Conversation.objects.get(pk=pk), assignee=single_target)
        return None

    (result, _), errors = run_in_threads(work, 2)
    assert errors == [None, None]
    # Every id is reported exactly once, none failed, and each ends with one of the two
    # assignees, its ticket agreeing.
    assert sorted(result.changed + result.unchanged) == sorted(ids) and not result.failed
    final = dict(Conversation.objects.filter(pk__in=ids).values_list("pk", "assigned_to_id"))
    assert {final[pk] for pk in ids if pk not in contested} == {bulk_target.pk}
    assert {final[pk] for pk in contested} <= {bulk_target.pk, single_target.pk}
    # The single reassigns only ever give single_target, so nothing was "already so".
    assert result.unchanged == []
    assert_tickets_agree(ids)


def test_a_conversation_changed_while_the_bulk_waits_for_its_lock_is_reported_and_left_alone():
    """The bulk re-reads each conversation under its row lock: a change committed while it
    waited (after the admin looked) makes it skip that one, and say so."""
    admin, other_admin = AdminFactory(email="a@example.test"), AdminFactory(email="b@example.test")
    bulk_target, meanwhile = StaffFactory(email="bulk@example.test"), StaffFactory(email="meanwhile@example.test")
    first, contested, last = make_conversations(3)
    looked = timezone.now()
    holding, release = threading.Event(), threading.Event()
    holder = {}

    def hold_and_reassign():
        try:
            with transaction.atomic():
                holder["id"] = connection_id()
                Conversation.objects.select_for_update().get(pk=contested.pk)
                conversation_assign(actor=other_admin, conversation=contested, assignee=meanwhile)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold_and_reassign)
    thread.start()
    assert holding.wait(10)
    outcome = {}

    def bulk():
        try:
            outcome["result"] = conversation_bulk_apply(actor=admin, ids=[first.pk, contested.pk, last.pk],
                                                        assignee=bulk_target, unchanged_since=looked)
        finally:
            connections.close_all()

    bulk_thread = threading.Thread(target=bulk)
    bulk_thread.start()
    wait_until_blocked_on_row_lock(table="conversations_conversation")
    release.set()
    thread.join(10)
    bulk_thread.join(30)
    result = outcome["result"]
    assert result.changed == [first.pk, last.pk]
    assert result.failed == [(contested.pk, "changed after you looked; check it and try again")]
    contested.refresh_from_db()
    assert contested.assigned_to == meanwhile
    assert_tickets_agree([first.pk, contested.pk, last.pk])
