"""Races on MariaDB with real threads (SPEC §4.1–4.2, SECURITY_CASES 22–26)."""

import threading
import time

import pytest
from django.db import connections, transaction

from accounts.models import Role
from conversations.models import Conversation, Message, Status
from conversations.selectors import message_list_for
from conversations.services import (
    RateLimited,
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


# --- issue 9 A6: the posting rate limit is exact under parallel posts -----------------

RATE_LIMIT = 5
BURST = 12


def _rate_limit_outcome(results, errors):
    """(stored, refused) from run_in_threads; anything but RateLimited fails the test."""
    unexpected = [error for error in errors if error is not None and not isinstance(error, RateLimited)]
    assert unexpected == []
    return sum(result is not None for result in results), sum(isinstance(error, RateLimited) for error in errors)


def test_parallel_posts_by_one_customer_stop_exactly_at_the_rate_limit(settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = RATE_LIMIT
    customer = CustomerFactory(email="flood-one@example.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)

    results, errors = run_in_threads(
        lambda i: conversation_post_message(actor=customer, conversation=conversation, body=f"flood {i}").pk, BURST
    )

    assert _rate_limit_outcome(results, errors) == (RATE_LIMIT, BURST - RATE_LIMIT)
    assert Message.objects.filter(sender=customer).count() == RATE_LIMIT
    conversation.refresh_from_db()
    assert conversation.last_seq == RATE_LIMIT


def test_parallel_posts_by_one_staff_member_into_many_conversations_stop_exactly_at_the_rate_limit(settings):
    """The limit is per person across conversations: the conversation locks alone would
    let these through (each thread holds a different one); the sender's row lock does not."""
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = RATE_LIMIT
    admin = AdminFactory(email="flood-admin@example.test")
    staff = StaffFactory(email="flood-staff@example.test")
    conversations = []
    for i in range(BURST):
        conversation, _ = conversation_get_or_create_for_customer(customer=CustomerFactory(email=f"c{i}@example.test"))
        conversation_assign(actor=admin, conversation=conversation, assignee=staff)
        conversations.append(conversation)

    results, errors = run_in_threads(
        lambda i: conversation_post_message(actor=staff, conversation=conversations[i], body=f"reply {i}").pk, BURST
    )

    assert _rate_limit_outcome(results, errors) == (RATE_LIMIT, BURST - RATE_LIMIT)
    assert Message.objects.filter(sender=staff).count() == RATE_LIMIT


def test_first_customer_messages_and_the_assignees_replies_at_once_never_deadlock(settings):
    """The lock order (conversation row, then user rows) agrees with the shared lock
    InnoDB takes on the staff member's user row when a first message creates a ticket
    assigned to them; the opposite order deadlocks here (OperationalError 1213)."""
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 1000  # on, so every sender's row is locked
    admin = AdminFactory(email="order-admin@example.test")
    staff = StaffFactory(email="order-staff@example.test")
    pairs_per_round, rounds = 8, 4

    for round_ in range(rounds):
        pairs = []  # fresh conversations: only a first message creates the ticket
        for i in range(pairs_per_round):
            customer = CustomerFactory(email=f"order{round_}-{i}@example.test")
            conversation, _ = conversation_get_or_create_for_customer(customer=customer)
            conversation_assign(actor=admin, conversation=conversation, assignee=staff)
            pairs.append((customer, conversation))

        def post(i, pairs=pairs):
            customer, conversation = pairs[i // 2]
            actor = customer if i % 2 == 0 else staff
            return conversation_post_message(actor=actor, conversation=conversation, body=f"at once {i}").pk

        _, errors = run_in_threads(post, 2 * pairs_per_round)
        assert errors == [None] * (2 * pairs_per_round)
    assert SupportTicket.objects.filter(assigned_to=staff).count() == pairs_per_round * rounds


def test_notes_and_replies_racing_keep_both_numberings_gap_free(settings):
    """Issue 14: notes (and their @mentions) and public messages posted at once, from the
    customer, the assignee and an admin: seq is 1..n over everything, public_seq 1..m
    over what the customer sees, and the customer's cursor is last_public_seq."""
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
    customer = CustomerFactory(email="notes-race@example.test")
    staff = StaffFactory(email="notes-staff@designpi.test")
    admin = AdminFactory(email="notes-admin@designpi.test")
    conversation, _ = conversation_get_or_create_for_customer(customer=customer)
    conversation_assign(actor=admin, conversation=conversation, assignee=staff)

    def post(i):
        if i % 3 == 0:
            return conversation_post_message(actor=admin, conversation=conversation, body=f"@notes-staff note {i}",
                                             internal=True).seq
        actor = customer if i % 3 == 1 else staff
        return conversation_post_message(actor=actor, conversation=conversation, body=f"public {i}").seq

    count = 12
    _, errors = run_in_threads(post, count)
    assert errors == [None] * count
    assert sorted(Message.objects.values_list("seq", flat=True)) == list(range(1, count + 1))
    public = sorted(Message.objects.filter(internal=False).values_list("public_seq", flat=True))
    assert public == list(range(1, count - count // 3 + 1))
    assert not Message.objects.filter(internal=True, public_seq__isnull=False).exists()
    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_public_seq) == (count, len(public))
    assert [m.cursor for m in message_list_for(conversation)] == public
