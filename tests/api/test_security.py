"""CSRF, spoofing, stale access and what an answer may carry (SECURITY_CASES 2-12, 16)."""

import pytest
from django.db import OperationalError

from conversations.models import Conversation, Message, Status
from conversations.services import conversation_assign, conversation_post_message

from tests.api.client import CSRF_TOKEN, api_client, call, messages_url

# --- CSRF (Client(enforce_csrf_checks=True), as a browser) ---------------------------


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "messages", {"body": "no token"}),
        ("PATCH", "/api/admin/conversations", {"conversation_id": "johns", "status": "CLOSED"}),
    ],
)
def test_unsafe_methods_without_csrf_token_are_403_and_change_nothing(world, method, path, body):
    conversation = world["johns"]
    if path == "messages":
        path = messages_url(conversation.pk)
    if body.get("conversation_id") == "johns":
        body["conversation_id"] = conversation.pk
    client = api_client(world["admin"], csrf=True)

    response = call(client, method, path, body, csrf_header=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    conversation.refresh_from_db()
    assert conversation.status == Status.OPEN
    assert Message.objects.filter(body="no token").count() == 0


def test_post_with_token_from_another_session_is_403(world):
    client = api_client(world["john"], csrf=True)
    client.cookies["csrftoken"] = CSRF_TOKEN
    response = client.post(
        messages_url(world["johns"].pk), {"body": "forged"}, content_type="application/json",
        HTTP_X_CSRFTOKEN="b" * 32,
    )
    assert response.status_code == 403
    assert not Message.objects.filter(body="forged").exists()


def test_post_from_a_foreign_origin_is_403(world):
    response = call(
        api_client(world["john"], csrf=True), "POST", messages_url(world["johns"].pk), {"body": "foreign"},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert not Message.objects.filter(body="foreign").exists()


def test_with_the_token_posts_and_patches_work_and_get_needs_none(world):
    admin = api_client(world["admin"], csrf=True)
    assert call(admin, "GET", "/api/admin/conversations", csrf_header=False).status_code == 200
    assert call(admin, "GET", messages_url(world["johns"].pk), csrf_header=False).status_code == 200
    assert call(admin, "POST", messages_url(world["johns"].pk), {"body": "with token"}).status_code == 201
    response = call(admin, "PATCH", "/api/admin/conversations", {"conversation_id": world["johns"].pk, "status": "PENDING"})
    assert response.status_code == 200


def test_anonymous_unsafe_request_is_401_not_csrf_403(world):
    response = call(api_client(None, csrf=True), "POST", messages_url(world["johns"].pk), {"body": "x"}, csrf_header=False)
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
    assert not response.has_header("Location")  # JSON, not a redirect to the login page


def test_deactivated_users_session_stops_working(world):
    sarah = world["sarah"]
    client = api_client(sarah)
    assert call(client, "GET", "/api/staff/conversations").status_code == 200
    sarah.is_active = False
    sarah.save(update_fields=["is_active"])
    assert call(client, "GET", "/api/staff/conversations").status_code == 401
    assert call(client, "POST", messages_url(world["johns"].pk), {"body": "still here?"}).status_code == 401


# --- What a request may change --------------------------------------------------------------


def test_admin_patch_ignores_every_other_field(world):
    conversation = world["johns"]
    before = Conversation.objects.values().get(pk=conversation.pk)
    body = {
        "conversation_id": conversation.pk,
        "status": "RESOLVED",
        "customer_id": world["jane"].pk,
        "customer": world["jane"].pk,
        "lead_id": 1,
        "source": "lead",
        "created_at": "2000-01-01T00:00:00Z",
        "updated_at": "2000-01-01T00:00:00Z",
        "last_seq": 999,
        "last_message_at": "2000-01-01T00:00:00Z",
        "role": "admin",
        "id": world["janes"].pk,
    }
    response = call(api_client(world["admin"]), "PATCH", "/api/admin/conversations", body)

    assert response.status_code == 200
    after = Conversation.objects.values().get(pk=conversation.pk)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"status", "updated_at"}
    assert after["updated_at"] > before["updated_at"]
    assert Conversation.objects.get(pk=world["janes"].pk).status == Status.OPEN


def test_message_post_cannot_spoof_sender_seq_conversation_or_read_marks(world):
    johns = world["johns"]
    body = {
        "body": "Who am I?",
        "sender": world["sarah"].pk,
        "sender_id": world["sarah"].pk,
        "seq": 1,
        "conversation_id": world["janes"].pk,
        "conversation": world["janes"].pk,
        "read_at": "2020-01-01T00:00:00Z",
        "from_participant": False,
        "created_at": "2000-01-01T00:00:00Z",
        "id": 1,
    }
    response = call(api_client(world["john"]), "POST", messages_url(johns.pk), body)

    assert response.status_code == 201
    data = response.json()
    message = Message.objects.get(pk=data["id"])
    assert message.conversation_id == johns.pk
    assert message.sender_id == world["john"].pk and message.from_participant
    assert message.seq == 3 and data["seq"] == 3
    assert message.read_at is None and data["read_at"] is None
    assert message.created_at.year > 2000
    assert data["sender"] == {"id": world["john"].pk, "name": "John Doe", "role": "customer"}
    assert not world["janes"].messages.filter(body="Who am I?").exists()


def test_posting_into_someone_elses_conversation_writes_nothing(world):
    janes = world["janes"]
    janes.ticket.status = Status.RESOLVED
    janes.ticket.save(update_fields=["status"])
    for persona in ("john", "sarah"):
        response = call(api_client(world[persona]), "POST", messages_url(janes.pk), {"body": "intrusion"})
        assert response.status_code == 404
    janes.refresh_from_db()
    janes.ticket.refresh_from_db()
    assert janes.last_seq == 1 and janes.ticket.status == Status.RESOLVED
    assert not Message.objects.filter(body="intrusion").exists()


def test_client_token_makes_a_retried_post_one_message(world):
    client = api_client(world["john"])
    url = messages_url(world["johns"].pk)
    first = call(client, "POST", url, {"body": "once", "client_token": "tok-1"})
    second = call(client, "POST", url, {"body": "once", "client_token": "tok-1"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Message.objects.filter(body="once").count() == 1


# --- Stale access (SECURITY_CASES 5) ---------------------------------------------------------


def test_reassigned_staff_member_loses_access_on_the_next_request(world):
    johns, sarah_client = world["johns"], api_client(world["sarah"])
    url = messages_url(johns.pk)
    assert call(sarah_client, "GET", url).status_code == 200

    conversation_assign(actor=world["admin"], conversation=johns, assignee=world["mike"])
    conversation_post_message(actor=world["john"], conversation=johns, body="Secret after reassignment")

    assert call(sarah_client, "GET", url).status_code == 404
    assert call(sarah_client, "GET", url, query={"after": 2}).status_code == 404
    assert call(sarah_client, "POST", url, {"body": "late reply"}).status_code == 404
    listing = call(sarah_client, "GET", "/api/staff/conversations").json()
    assert listing == {"items": [], "count": 0, "recent_only": False}
    assert not Message.objects.filter(body="late reply").exists()
    assert call(api_client(world["mike"]), "GET", url).status_code == 200


# --- What an answer may carry (SECURITY_CASES 12) -----------------------------------------------


def test_answers_carry_only_documented_fields(world):
    admin = api_client(world["admin"])
    listing = call(admin, "GET", "/api/admin/conversations", query={"source": "customer"}).json()
    item = listing["items"][0]
    lead_item = call(admin, "GET", "/api/admin/conversations", query={"source": "lead"}).json()["items"][0]
    assert set(lead_item["lead"]) == {"id", "name", "email"} and lead_item["customer"] is None
    assert set(listing) == {"items", "count", "recent_only"}
    assert set(item) == {
        "id", "status", "source", "customer", "lead", "assigned_to", "unread_count", "last_message_at", "ticket",
        "snippet",  # issue 13: null without q (docs/API.md)
    }
    assert set(item["customer"]) == {"id", "name", "email"}
    assert set(item["assigned_to"]) == {"id", "name", "email"}
    assert set(item["ticket"]) == {"id", "status", "priority"}
    messages = call(admin, "GET", messages_url(world["johns"].pk)).json()["items"]
    assert set(messages[0]) == {"id", "seq", "internal", "body", "sender", "created_at", "read_at"}
    assert set(messages[0]["sender"]) == {"id", "name", "role"}
    staff = call(admin, "GET", "/api/admin/staff").json()
    assert {member["email"] for member in staff["items"]} == {
        "admin@designpi.test", "sarah@designpi.test", "mike@designpi.test",
    }
    for response_body in (listing, messages, staff):
        text = str(response_body)
        assert "argon2" not in text and "password" not in text


def test_customer_sees_nothing_of_another_customer(world):
    john = api_client(world["john"])
    portal = call(john, "GET", "/api/portal/conversation").json()
    assert portal["id"] == world["johns"].pk
    assert portal["customer"]["email"] == "john@example.test"
    text = str(portal) + str(call(john, "GET", messages_url(world["johns"].pk)).json())
    assert "jane" not in text.lower()


def test_database_outage_answers_503_with_retry_after(world, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("(2002, \"Can't connect to MySQL server\")")

    monkeypatch.setattr("conversations.api.conversation_get_for", down)
    response = call(api_client(world["john"]), "GET", messages_url(world["johns"].pk))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "detail" in response.json()
