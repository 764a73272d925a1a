"""Races through the real HTTP stack on MariaDB (SECURITY_CASES 22, 25): the
service-level races are in conversations/tests/test_concurrency.py; these prove the
views and the API keep the same promises (no 500, one message per send)."""

import json

import pytest
from django.test import Client

from conversations.models import Conversation, Message
from tests.concurrency import run_in_threads
from tests.factories import CustomerFactory
from tickets.models import SupportTicket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_double_clicked_send_through_the_form_is_one_message():
    customer = CustomerFactory(email="double-click@example.test")
    clients = [signed_in(customer) for _ in range(4)]
    form = {"body": "clicked twice", "client_token": "4a0e8c1e-2b3d-4f5a-8b6c-7d8e9f0a1b2c"}

    results, errors = run_in_threads(
        lambda i: clients[i].post("/portal/chat/send/", form, HTTP_HX_REQUEST="true").status_code, 4
    )

    assert errors == [None] * 4
    assert results == [204] * 4
    assert Message.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_simultaneous_first_messages_through_the_api_make_one_conversation_and_ticket():
    customer = CustomerFactory(email="api-burst@example.test")
    conversation_id = signed_in(customer).get("/api/portal/conversation").json()["id"]
    clients = [signed_in(customer) for _ in range(12)]

    def post(i):
        response = clients[i].post(f"/api/conversations/{conversation_id}/messages",
                                   json.dumps({"body": f"hello {i}"}), content_type="application/json")
        return response.status_code, response.json().get("seq")

    results, errors = run_in_threads(post, 12)

    assert errors == [None] * 12
    assert [status for status, _ in results] == [201] * 12
    assert sorted(seq for _, seq in results) == list(range(1, 13))
    assert Conversation.objects.count() == 1
    assert SupportTicket.objects.count() == 1


def test_simultaneous_first_sends_through_the_portal_make_one_conversation():
    customer = CustomerFactory(email="portal-burst@example.test")
    clients = [signed_in(customer) for _ in range(10)]

    results, errors = run_in_threads(
        lambda i: clients[i].post("/portal/chat/send/", {
            "body": f"first {i}", "client_token": f"00000000-0000-4000-8000-{i:012d}",
        }).status_code,
        10,
    )

    assert errors == [None] * 10
    assert results == [302] * 10
    assert Conversation.objects.count() == 1
    assert Message.objects.count() == 10
    assert SupportTicket.objects.count() == 1


def test_parallel_api_posts_by_one_staff_member_stop_exactly_at_the_rate_limit(settings):
    """Issue 9 A6: twelve simultaneous posts by one person into twelve conversations,
    limit five: five 201s and seven 429s with Retry-After, never a 500."""
    from conversations.services import conversation_assign, conversation_get_or_create_for_customer
    from tests.factories import AdminFactory, StaffFactory

    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 5
    admin = AdminFactory(email="http-flood-admin@example.test")
    staff = StaffFactory(email="http-flood-staff@example.test")
    conversation_ids = []
    for i in range(12):
        conversation, _ = conversation_get_or_create_for_customer(customer=CustomerFactory(email=f"h{i}@example.test"))
        conversation_assign(actor=admin, conversation=conversation, assignee=staff)
        conversation_ids.append(conversation.pk)
    clients = [signed_in(staff) for _ in range(12)]

    def post(i):
        response = clients[i].post(f"/api/conversations/{conversation_ids[i]}/messages",
                                   json.dumps({"body": f"reply {i}"}), content_type="application/json")
        return response.status_code, response.get("Retry-After")

    results, errors = run_in_threads(post, 12)

    assert errors == [None] * 12
    assert sorted(status for status, _ in results) == [201] * 5 + [429] * 7
    assert {retry for status, retry in results if status == 429} == {"60"}
    assert Message.objects.filter(sender=staff).count() == 5
