"""Real threads against a real database through the API (SECURITY_CASES 22, 25).
MariaDB only: SQLite ignores select_for_update and serialises writers anyway."""

import pytest

from conversations.models import Conversation, Message
from tests.concurrency import run_in_threads
from tests.factories import CustomerFactory
from tickets.models import SupportTicket

from tests.api.client import api_client, call, messages_url

pytestmark = [pytest.mark.mariadb, pytest.mark.django_db(transaction=True)]

THREADS = 12


def test_simultaneous_first_messages_make_one_conversation_one_ticket():
    customer = CustomerFactory(email="racer@example.test", name="Racer")
    clients = [api_client(customer) for _ in range(THREADS)]

    def first_message(n):
        conversation_id = call(clients[n], "GET", "/api/portal/conversation").json()["id"]
        return call(clients[n], "POST", messages_url(conversation_id), {"body": f"first {n}"}).status_code

    statuses, errors = run_in_threads(first_message, THREADS)

    assert errors == [None] * THREADS, errors
    assert statuses == [201] * THREADS
    conversation = Conversation.objects.get(customer=customer)
    assert SupportTicket.objects.filter(conversation=conversation).count() == 1
    seqs = sorted(Message.objects.filter(conversation=conversation).values_list("seq", flat=True))
    assert seqs == list(range(1, THREADS + 1))


def test_a_retried_send_racing_itself_is_one_message():
    customer = CustomerFactory(email="double@example.test", name="Double Click")
    client = api_client(customer)
    conversation_id = call(client, "GET", "/api/portal/conversation").json()["id"]
    clients = [api_client(customer) for _ in range(4)]

    def send(n):
        response = call(clients[n], "POST", messages_url(conversation_id), {"body": "once", "client_token": "k-1"})
        return response.status_code, response.json()["id"]

    results, errors = run_in_threads(send, 4)

    assert errors == [None] * 4, errors
    assert {status for status, _ in results} == {201}
    assert len({message_id for _, message_id in results}) == 1
    assert Message.objects.filter(conversation_id=conversation_id, body="once").count() == 1
