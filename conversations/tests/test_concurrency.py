"""Races on MariaDB with real threads (SPEC §4.1–4.2, SECURITY_CASES 22–26)."""

import threading
import time

import pytest
from django.db import connections, transaction

from accounts.models import Role
from conversations.models import Conversation, Message, Status
from conversations.selectors import message_list_for
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
    conversation_set_status,
)
from tests.concurrency import connection_id, run_in_threads, wait_until_blocked_on_row_lock
from tests.factories import AdminFactory, CustomerFactory, StaffFactory
from tickets.models import SupportTicket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]

THREADS = 10


def test_ten_threads_posting_into_one_conversation_get_seq_1_to_n_and_one_ticket():
    customer = CustomerFactory(email="race@example.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)

    results, errors = run_in_threads(
        lambda i: conversation_post_message(actor=customer, conversation=conversation, body=f"message {i}").seq,
        THREADS,
    )

    assert errors == [None] * THREADS
    assert sorted(results) == list(range(1, THREADS + 1))
    assert sorted(Message.objects.values_list("seq", flat=True)) == list(range(1, THREADS + 1))
    assert SupportTicket.objects.count() == 1
    conversation.refresh_from_db()
    assert conversation.last_seq == THREADS


def test_ten_threads_opening_a_new_customers_chat_make_one_conversation():
    customer = CustomerFactory(email="first-open@example.test")

    results, errors = run_in_threads(
        lambda i: conversation_get_or_create_for_customer(customer=customer)[0].pk, THREADS
    )

    assert errors == [None] * THREADS
    assert len(set(results)) == 1
    assert Conversation.objects.filter(customer=customer).count() == 1


def test_simultaneous_first_messages_make_one_conversation_one_ticket_every_message():
    customer = CustomerFactory(email="burst@example.test")

    def first_message(i):
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        return conversation_post_message(actor=customer, conversation=conversation, body=f"hello {i}").pk

    results, errors = run_in_threads(first_message, 15)

    assert errors == [None] * 15
    assert Conversation.objects.count() == 1
    assert SupportTicket.objects.count() == 1
    assert Message.objects.count() == 15
    assert sorted(Message.objects.values_list("seq", flat=True)) == list(range(1, 16))


def test_simultaneous_messages_into_a_closed_conversation_reopen_it_once():
    customer = CustomerFactory(email="closed@example.test")
    admin = AdminFactory(email="closer@example.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)
    conversation_post_message(actor=customer, conversation=conversation, body="first")
    conversation_set_status(actor=admin, conversation=conversation, status=Status.CLOSED)

    _, errors = run_in_threads(
        lambda i: conversation_post_message(actor=customer, conversation=conversation, body=f"again {i}"), THREADS
    )

    assert errors == [None] * THREADS
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert SupportTicket.objects.count() == 1
    assert SupportTicket.objects.get().status == Status.OPEN
    assert Message.objects.count() == THREADS + 1


def test_two_admins_reassigning_at_once_leave_conversation_and_ticket_agreeing():
    customer = CustomerFactory(email="contested@example.test")
    admins = [AdminFactory(email=f"admin{i}@example.test") for i in range(2)]
    staff = [StaffFactory(email=f"staff{i}@example.test") for i in range(2)]
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)
    conversation_post_message(actor=customer, conversation=conversation, body="who takes this?")

    for _ in range(5):
        _, errors = run_in_threads(
            lambda i: conversation_assign(
                actor=admins[i], conversation=Conversation.objects.get(pk=conversation.pk), assignee=staff[i]
            ),
            2,
        )
        assert errors == [None, None]
        conversation.refresh_from_db()
        ticket = SupportTicket.objects.get()
        assert conversation.assigned_to_id in {s.pk for s in staff}
        assert ticket.assigned_to_id == conversation.assigned_to_id


def test_a_double_clicked_send_is_one_message():
    customer = CustomerFactory(email="double@example.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)

    results, errors = run_in_threads(
        lambda i: conversation_post_message(
            actor=customer, conversation=conversation, body="clicked twice", client_token="same-token"
        ).pk,
        4,
    )

    assert errors == [None] * 4
    assert len(set(results)) == 1
    assert Message.objects.count() == 1


def test_a_late_committing_message_still_reaches_a_poller_in_order():
    """A message whose transaction commits late cannot be overtaken: the next one
    waits for the row lock, so a poller's ?after= cursor never skips it."""
    customer = CustomerFactory(email="late@example.test")
    staff = StaffFactory(email="fast@example.test", role=Role.STAFF)
    admin = AdminFactory(email="assigner@example.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)
    conversation_assign(actor=admin, conversation=conversation, assignee=staff)

    slow_posted = threading.Event()
    release_slow = threading.Event()
    order = []

    def slow_writer():
        try:
            with transaction.atomic():
                message = conversation_post_message(actor=customer, conversation=conversation, body="slow")
                slow_posted.set()
                release_slow.wait(10)
                order.append(("slow committed", message.seq))
        finally:
            connections.close_all()

    fast_connection = []

    def fast_writer():
        try:
            fast_connection.append(connection_id())
            slow_posted.wait(10)
            message = conversation_post_message(actor=staff, conversation=conversation, body="fast")
            order.append(("fast committed", message.seq))
        finally:
            connections.close_all()

    slow = threading.Thread(target=slow_writer)
    fast = threading.Thread(target=fast_writer)
    slow.start()
    fast.start()
    slow_posted.wait(10)
    # The race is real only if the fast writer now waits on the row lock the slow one holds.
    while not fast_connection:
        time.sleep(0.001)
    wait_until_blocked_on_row_lock(fast_connection[0])

    # The poller sees nothing yet: neither message is committed.
    conversation.refresh_from_db()
    assert list(message_list_for(conversation, after=0)) == []
    assert conversation.last_seq == 0

    release_slow.set()
    slow.join(10)
    fast.join(10)

    assert order == [("slow committed", 1), ("fast committed", 2)]
    conversation.refresh_from_db()
    assert [m.body for m in message_list_for(conversation, after=0)] == ["slow", "fast"]
