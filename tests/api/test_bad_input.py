"""Bad input answers 4xx JSON {"detail": …}, never a 500, and changes nothing
(SECURITY_CASES 10, 28-30). Every input error is a 400; see designpi/api.py."""

import pytest

from accounts.models import Role
from conversations.models import MESSAGE_MAX_LENGTH, Conversation, Message
from tests.factories import StaffFactory

from tests.api.client import api_client, call, messages_url


def assert_error(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


def snapshot(conversation):
    conversation.refresh_from_db()
    return (conversation.status, conversation.assigned_to_id, conversation.last_seq, Message.objects.count())


# --- Message bodies ------------------------------------------------------------

BAD_MESSAGE_BODIES = {
    "malformed json": '{"body": "hi"',
    "not json at all": "body=hello",
    "empty request body": "",
    "json null": "null",
    "json array": '["hello"]',
    "json string": '"hello"',
    "body missing": "{}",
    "body null": '{"body": null}',
    "body a number": '{"body": 123}',
    "body an object": '{"body": {"text": "hi"}}',
    "body empty": '{"body": ""}',
    "body whitespace only": '{"body": " \\n\\t  "}',
    "body with NUL": '{"body": "hi\\u0000there"}',
    "body with bell": '{"body": "hi\\u0007"}',
    "body with a lone surrogate": '{"body": "hi \\ud800"}',
    "body one over the limit": '{"body": "' + "x" * (MESSAGE_MAX_LENGTH + 1) + '"}',
    "body invalid utf-8": b'{"body": "\xff\xfe"}',
    "client_token with spaces": '{"body": "hi", "client_token": "a b"}',
}


@pytest.mark.parametrize("raw", BAD_MESSAGE_BODIES.values(), ids=BAD_MESSAGE_BODIES.keys())
def test_bad_message_body_is_400_and_writes_nothing(world, raw):
    conversation = world["johns"]
    before = snapshot(conversation)

    response = call(api_client(world["john"]), "POST", messages_url(conversation.pk), raw=raw)

    assert_error(response, 400)
    assert snapshot(conversation) == before


def test_body_of_exactly_the_maximum_is_accepted(world):
    body = "é" * MESSAGE_MAX_LENGTH
    response = call(api_client(world["john"]), "POST", messages_url(world["johns"].pk), {"body": f"  {body}\n"})
    assert response.status_code == 201
    assert response.json()["body"] == body  # trimmed, like the portal


def test_ten_megabyte_body_is_refused_without_reading_it(world):
    conversation = world["johns"]
    before = snapshot(conversation)
    raw = '{"body": "' + "x" * (10 * 1024 * 1024) + '"}'
    response = call(api_client(world["john"]), "POST", messages_url(conversation.pk), raw=raw)
    assert_error(response, 413)
    assert snapshot(conversation) == before


# --- Admin PATCH -----------------------------------------------------------------

def _bad_patches(world):
    johns = world["johns"].pk
    inactive = StaffFactory(email="gone@designpi.test", is_active=False)
    return {
        "malformed json": '{"conversation_id": ',
        "empty request body": "",
        "json array": "[]",
        "no conversation_id": '{"status": "CLOSED"}',
        "conversation_id a string": '{"conversation_id": "%s", "status": "CLOSED"}' % johns,
        "conversation_id a bool": '{"conversation_id": true, "status": "CLOSED"}',
        "conversation_id a float": '{"conversation_id": %s.5, "status": "CLOSED"}' % johns,
        "unknown status": '{"conversation_id": %s, "status": "ARCHIVED"}' % johns,
        "lower-case status": '{"conversation_id": %s, "status": "closed"}' % johns,
        "status null": '{"conversation_id": %s, "status": null}' % johns,
        "status with NUL": '{"conversation_id": %s, "status": "OPEN\\u0000"}' % johns,
        "assign a customer": '{"conversation_id": %s, "assigned_to": %s}' % (johns, world["jane"].pk),
        "assign an inactive staff member": '{"conversation_id": %s, "assigned_to": %s}' % (johns, inactive.pk),
        "assign a missing user": '{"conversation_id": %s, "assigned_to": 987654321}' % johns,
        "assign a 20-digit id": '{"conversation_id": %s, "assigned_to": 99999999999999999999}' % johns,
        "assign a negative id": '{"conversation_id": %s, "assigned_to": -1}' % johns,
        "assign a string id": '{"conversation_id": %s, "assigned_to": "%s"}' % (johns, world["mike"].pk),
        "good assignee, bad status": '{"conversation_id": %s, "assigned_to": %s, "status": "NOPE"}'
        % (johns, world["mike"].pk),
        "good status, bad assignee": '{"conversation_id": %s, "assigned_to": %s, "status": "CLOSED"}'
        % (johns, world["john"].pk),
    }


BAD_PATCH_NAMES = [
    "malformed json", "empty request body", "json array", "no conversation_id", "conversation_id a string",
    "conversation_id a bool", "conversation_id a float", "unknown status", "lower-case status", "status null",
    "status with NUL", "assign a customer", "assign an inactive staff member", "assign a missing user",
    "assign a 20-digit id", "assign a negative id", "assign a string id", "good assignee, bad status",
    "good status, bad assignee",
]


@pytest.mark.parametrize("name", BAD_PATCH_NAMES)
def test_bad_patch_is_400_and_changes_nothing(world, name):
    raw = _bad_patches(world)[name]
    conversation = world["johns"]
    before = snapshot(conversation)
    ticket_before = (conversation.ticket.status, conversation.ticket.assigned_to_id)

    response = call(api_client(world["admin"]), "PATCH", "/api/admin/conversations", raw=raw)

    assert_error(response, 400)
    assert snapshot(conversation) == before
    conversation.ticket.refresh_from_db()
    assert (conversation.ticket.status, conversation.ticket.assigned_to_id) == ticket_before


@pytest.mark.parametrize("conversation_id", [0, -5, 987654321, 99999999999999999999, 2**63])
def test_patch_of_a_missing_conversation_is_404(world, conversation_id):
    response = call(
        api_client(world["admin"]), "PATCH", "/api/admin/conversations",
        {"conversation_id": conversation_id, "status": "CLOSED"},
    )
    assert_error(response, 404)


# --- Paths and query strings -------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    "segment", ["abc", "99999999999999999999", "9223372036854775808", "0", "-1", "1.5", "%00", "１２"]
)
def test_odd_conversation_ids_are_404(world, method, segment):
    response = call(api_client(world["admin"]), method, f"/api/conversations/{segment}/messages", {"body": "hi"})
    assert_error(response, 404)


BAD_QUERIES = [
    ("/api/admin/conversations", {"status": "ARCHIVED"}),
    ("/api/admin/conversations", {"status": "open"}),
    ("/api/admin/conversations", {"source": "email"}),
    ("/api/admin/conversations", {"assigned_to": "nobody"}),
    ("/api/admin/conversations", {"assigned_to": "99999999999999999999"}),
    ("/api/admin/conversations", {"assigned_to": "-3"}),
    ("/api/admin/conversations", {"assigned_to": "0"}),
    ("/api/admin/conversations", {"assigned_to": "1\x00"}),
    ("/api/admin/conversations", {"limit": "0"}),
    ("/api/admin/conversations", {"limit": "101"}),
    ("/api/admin/conversations", {"limit": "ten"}),
    ("/api/admin/conversations", {"offset": "-1"}),
    ("/api/admin/conversations", {"offset": "99999999999999999999999"}),
    ("/api/staff/conversations", {"status": "DONE"}),
    ("/api/admin/staff", {"limit": "1000"}),
    ("messages", {"after": "abc"}),
    ("messages", {"after": "-1"}),
    ("messages", {"after": "99999999999999999999"}),
    ("messages", {"limit": "0"}),
    ("messages", {"before": "0"}),
    ("messages", {"before": "x"}),
    ("messages", {"before": "5", "after": "1"}),
    ("messages", {"before": "5", "after": "0"}),
]


@pytest.mark.parametrize("route, query", BAD_QUERIES, ids=[f"{r} {q}" for r, q in BAD_QUERIES])
def test_bad_query_parameters_are_400(world, route, query):
    path = messages_url(world["johns"].pk) if route == "messages" else route
    response = call(api_client(world["admin"]), "GET", path, query=query)
    assert_error(response, 400)
    assert response.json()["errors"]


def test_unknown_query_parameters_are_ignored_not_passed_to_the_orm(world):
    response = call(
        api_client(world["sarah"]), "GET", "/api/staff/conversations",
        query={"assigned_to": world["mike"].pk, "customer__email__startswith": "j", "ordering": "-id"},
    )
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [world["johns"].pk]


# --- Methods ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/api/admin/conversations"),
        ("PUT", "/api/admin/conversations"),
        ("POST", "/api/admin/conversations"),
        ("PATCH", "/api/staff/conversations"),
        ("DELETE", "messages"),
        ("PUT", "messages"),
        ("POST", "/api/portal/conversation"),
        ("DELETE", "/api/admin/staff"),
    ],
)
def test_wrong_method_is_405_json(world, method, path):
    path = messages_url(world["johns"].pk) if path == "messages" else path
    response = call(api_client(world["admin"]), method, path, {"body": "hi"})
    assert_error(response, 405)
    assert response["Allow"]


def test_unknown_api_path_is_404_json(world):
    assert_error(call(api_client(world["admin"]), "GET", "/api/nothing/here"), 404)


def test_a_role_change_does_not_need_a_new_session(world):
    """Role is read on every request: demoting a user to customer takes effect at once."""
    sarah = world["sarah"]
    client = api_client(sarah)
    assert call(client, "GET", "/api/staff/conversations").status_code == 200
    sarah.role = Role.CUSTOMER
    sarah.save(update_fields=["role"])
    assert_error(call(client, "GET", "/api/staff/conversations"), 403)
    assert Conversation.objects.filter(assigned_to=sarah).exists()  # untouched
