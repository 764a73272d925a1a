"""Races of the contact chat on MariaDB with real threads (issue 12; SECURITY_CASES 22, 37)."""

import pytest
from django.core.cache import caches

from conversations.models import Conversation, Message
from conversations.services import conversation_start_for_visitor
from leads.forms import proof_of_work_spend
from leads.models import Lead
from tests.concurrency import run_in_threads
from tickets.models import SupportTicket

from .visitors import solved_payload

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]

THREADS = 10


def test_simultaneous_first_messages_from_one_new_address_make_one_lead_one_conversation_every_message():
    results, errors = run_in_threads(
        lambda i: conversation_start_for_visitor(name="Vera", email="VERA@visitor.test", company="",
                                                 body=f"message {i}"),
        THREADS,
    )
    assert errors == [None] * THREADS
    assert Lead.objects.count() == 1
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == THREADS and SupportTicket.objects.count() == 1
    # Exactly one request made the conversation and got its cookie; the others were told to check email.
    assert sum(result.token is not None for result in results) == 1


def test_a_proof_of_work_replayed_at_the_same_moment_is_spent_once():
    payload = solved_payload()
    caches["shared"].clear()
    results, errors = run_in_threads(lambda i: proof_of_work_spend(payload), THREADS)
    assert errors == [None] * THREADS
    assert results.count(True) == 1
