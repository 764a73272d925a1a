"""What each route does, through the same services as the portals (SPEC §4, §6)."""

import pytest
from conversations.models import Conversation, Message, Source, Status
from conversations.services import conversation_assign, conversation_post_message
from tickets.models import SupportTicket

from tests.api.client import api_client, call, messages_url
from tests.factories import bulk_messages

# --- Admin PATCH ------------------------------------------------------------------


def _patch(world, **body):
    return call(api_client(world["admin"]), "PATCH", "/api/admin/conversations", body)


def test_patch_assigns_and_the_ticket_follows(world):
    johns = world["johns"]
    response = _patch(world, conversation_id=johns.pk, assigned_to=world["mike"].pk)
    assert response.status_code == 200
    data = response.json()
    assert data["assigned_to"] == {"id": world["mike"].pk, "name": "Mike Chen", "email": "mike@designpi.test"}
    assert data["status"] == Status.OPEN  # absent: untouched
    johns.refresh_from_db()
    assert johns.assigned_to == world["mike"] and SupportTicket.objects.get(conversation=johns).assigned_to == world["mike"]


def test_patch_with_assigned_to_null_unassigns_and_absent_keeps(world):
    johns = world["johns"]
    assert _patch(world, conversation_id=johns.pk, status="PENDING").json()["assigned_to"]["id"] == world["sarah"].pk
    data = _patch(world, conversation_id=johns.pk, assigned_to=None).json()
    assert data["assigned_to"] is None and data["status"] == "PENDING"
    johns.refresh_from_db()
    assert johns.assigned_to is None and johns.ticket.assigned_to is None


def test_patch_changes_both_at_once_and_the_ticket_follows(world):
    janes = world["janes"]
    data = _patch(world, conversation_id=janes.pk, assigned_to=world["admin"].pk, status="CLOSED").json()
    assert data["status"] == "CLOSED" and data["assigned_to"]["id"] == world["admin"].pk
    assert data["ticket"]["status"] == "CLOSED"
    ticket = SupportTicket.objects.get(conversation=janes)
    assert (ticket.status, ticket.assigned_to_id) == (Status.CLOSED, world["admin"].pk)


def test_patch_with_nothing_to_change_changes_nothing(world):
    johns = world["johns"]
    before = Conversation.objects.values().get(pk=johns.pk)
    assert _patch(world, conversation_id=johns.pk).status_code == 200
    assert Conversation.objects.values().get(pk=johns.pk) == before


# --- Lists --------------------------------------------------------------------------


def test_admin_list_filters_and_orders_by_newest_activity(world):
    admin = api_client(world["admin"])
    conversation_post_message(actor=world["mike"], conversation=world["janes"], body="newest")

    def ids(**query):
        data = call(admin, "GET", "/api/admin/conversations", query=query).json()
        assert data["count"] == len(data["items"])
        return [item["id"] for item in data["items"]]

    johns, janes, lead = world["johns"].pk, world["janes"].pk, world["alices"].pk
    assert ids() == [janes, lead, johns]
    assert ids(assigned_to="unassigned") == [lead]
    assert ids(assigned_to=world["sarah"].pk) == [johns]
    assert ids(assigned_to=world["john"].pk) == []  # nobody's assignee: an empty list, not an error
    assert ids(source="lead") == [lead]
    assert ids(source="customer", status="OPEN") == [janes, johns]
    assert ids(status="CLOSED") == []
    lead_item = call(admin, "GET", "/api/admin/conversations", query={"source": "lead"}).json()["items"][0]
    assert lead_item["customer"] is None and lead_item["lead"]["name"] == "Alice Brown"
    assert lead_item["ticket"]["status"] == "OPEN" and lead_item["source"] == Source.LEAD


def test_admin_list_paginates_with_a_total_count(world):
    admin = api_client(world["admin"])
    first = call(admin, "GET", "/api/admin/conversations", query={"limit": 2}).json()
    second = call(admin, "GET", "/api/admin/conversations", query={"limit": 2, "offset": 2}).json()
    assert first["count"] == second["count"] == 3
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})


def test_staff_list_has_only_the_callers_conversations_with_their_unread_counts(world):
    sarah = call(api_client(world["sarah"]), "GET", "/api/staff/conversations").json()
    assert [item["id"] for item in sarah["items"]] == [world["johns"].pk]
    assert sarah["items"][0]["unread_count"] == 1  # John's message; Sarah's own reply does not count
    assert call(api_client(world["sarah"]), "GET", "/api/staff/conversations", query={"status": "CLOSED"}).json() == {
        "items": [], "count": 0, "recent_only": False,
    }
    # An admin's inbox is what is assigned to the admin.
    assert call(api_client(world["admin"]), "GET", "/api/staff/conversations").json()["count"] == 0


def test_team_list_is_active_team_members(world):
    data = call(api_client(world["admin"]), "GET", "/api/admin/staff").json()
    assert data["count"] == 3
    assert [(m["name"], m["role"]) for m in data["items"]] == [
        ("Ada Admin", "admin"), ("Mike Chen", "staff"), ("Sarah Johnson", "staff"),
    ]


# --- Messages ------------------------------------------------------------------------


def test_messages_after_a_cursor_with_limit_and_count(world):
    johns, sarah = world["johns"], api_client(world["sarah"])
    for n in range(3):
        conversation_post_message(actor=world["john"], conversation=johns, body=f"more {n}")
    url = messages_url(johns.pk)
    everything = call(sarah, "GET", url).json()
    assert [m["seq"] for m in everything["items"]] == [1, 2, 3, 4, 5] and everything["count"] == 5
    page = call(sarah, "GET", url, query={"after": 1, "limit": 2}).json()
    assert [m["seq"] for m in page["items"]] == [2, 3] and page["count"] == 4
    assert call(sarah, "GET", url, query={"after": 5}).json() == {"items": [], "count": 0}


def test_messages_before_a_cursor_page_back_through_a_long_thread(world, django_assert_num_queries):
    johns, sarah = world["johns"], api_client(world["sarah"])
    bulk_messages(johns, 1200, customer=world["john"], team_member=world["sarah"])
    url = messages_url(johns.pk)
    newest = call(sarah, "GET", url, query={"before": johns.last_seq + 1, "limit": 500}).json()
    assert [m["seq"] for m in newest["items"]] == list(range(johns.last_seq - 499, johns.last_seq + 1))
    assert newest["count"] == johns.last_seq
    seen, before = newest["items"], newest["items"][0]["seq"]
    while before > 1:
        page = call(sarah, "GET", url, query={"before": before, "limit": 500}).json()
        assert page["items"][-1]["seq"] == before - 1
        seen = page["items"] + seen
        before = page["items"][0]["seq"]
    assert [m["seq"] for m in seen] == list(range(1, johns.last_seq + 1))
    # 1 session, 2 user, 3 conversation, 4 the page, 5 the count before the cursor (a full
    # page; a short one's count is its length), 6 the read-mark UPDATE up to the newest shown
    # (everything is read by now: it marks nothing, so updated_at is not written)
    with django_assert_num_queries(6):
        assert call(sarah, "GET", url, query={"before": 600, "limit": 500}).json()["count"] == 599


def test_team_reading_marks_the_participants_shown_messages_read(world):
    johns = world["johns"]
    conversation_post_message(actor=world["john"], conversation=johns, body="second from John")
    sarah = api_client(world["sarah"])
    first_read = call(sarah, "GET", messages_url(johns.pk), query={"limit": 2}).json()
    assert all(m["read_at"] is None for m in first_read["items"])  # marks show from the next request
    by_seq = {m.seq: m for m in johns.messages.all()}
    assert by_seq[1].read_at is not None  # John's, shown: read
    assert by_seq[2].read_at is None  # Sarah's own: not the participant's
    assert by_seq[3].read_at is None  # John's, not shown yet (beyond the limit)
    items = call(api_client(world["admin"]), "GET", "/api/admin/conversations").json()["items"]
    assert {i["id"]: i["unread_count"] for i in items}[johns.pk] == 1


def test_customer_reading_marks_the_teams_messages_read(world):
    johns = world["johns"]
    john = api_client(world["john"])
    assert call(john, "GET", "/api/portal/conversation").json()["unread_count"] == 1  # Sarah's reply
    call(john, "GET", messages_url(johns.pk))
    assert johns.messages.get(seq=2).read_at is not None
    assert johns.messages.get(seq=1).read_at is None  # John's own message waits for the team
    assert call(john, "GET", "/api/portal/conversation").json()["unread_count"] == 0


def test_customer_post_opens_the_ticket_and_reopens_a_closed_thread(world):
    johns = world["johns"]
    _patch(world, conversation_id=johns.pk, status="CLOSED")
    response = call(api_client(world["john"]), "POST", messages_url(johns.pk), {"body": "It broke again"})
    assert response.status_code == 201
    johns.refresh_from_db()
    assert johns.status == Status.OPEN and johns.ticket.status == Status.OPEN
    assert johns.last_message_at is not None


def test_posting_too_fast_is_429_with_retry_after(world, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 3  # John has already written one message
    john, url = api_client(world["john"]), messages_url(world["johns"].pk)
    assert [call(john, "POST", url, {"body": f"quick {n}"}).status_code for n in range(2)] == [201, 201]
    response = call(john, "POST", url, {"body": "one too many"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0 and "Too many messages" in response.json()["detail"]
    assert not Message.objects.filter(body="one too many").exists()


def test_portal_conversation_is_created_once(world):
    from tests.factories import CustomerFactory

    newcomer = api_client(CustomerFactory(email="new@example.test", name="New Person"))
    first = call(newcomer, "GET", "/api/portal/conversation").json()
    second = call(newcomer, "GET", "/api/portal/conversation").json()
    assert first["id"] == second["id"]
    assert first["customer"]["email"] == "new@example.test" and first["ticket"] is None
    assert first["assigned_to"] is None and first["unread_count"] == 0 and first["last_message_at"] is None
    assert Conversation.objects.filter(customer__email="new@example.test").count() == 1


TEXTS = [
    "Emoji 😀👍🏽👨‍👩‍👧‍👦 and flags 🇩🇪",
    "Astral plane: 𝕳𝖊𝖑𝖑𝖔 𐍈 🀄 𠜎𠜱",
    "CJK 你好世界 こんにちは 안녕하세요",
    "RTL مرحبا بالعالم שלום",
    "Combining: e\u0301 a\u0308 Z\u0335\u0321",
    '<script>alert(1)</script> "><svg onload=alert(1)> javascript:alert(1)',
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips_exactly(world, text):
    """Also run on MariaDB (utf8mb4): astral-plane characters must survive storage."""
    url = messages_url(world["johns"].pk)
    posted = call(api_client(world["john"]), "POST", url, {"body": text}).json()
    assert posted["body"] == text
    fetched = call(api_client(world["sarah"]), "GET", url, query={"after": posted["seq"] - 1}).json()
    assert fetched["items"][0]["body"] == text
    assert Message.objects.get(pk=posted["id"]).body == text


# --- Pinned query counts (house style 12) ---------------------------------------------------


def _many_conversations(world, n):
    from tests.factories import CustomerFactory
    from conversations.services import conversation_get_or_create_for_customer

    for i in range(n):
        customer = CustomerFactory()
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        conversation_assign(actor=world["admin"], conversation=conversation, assignee=world["sarah"])
        conversation_post_message(actor=customer, conversation=conversation, body=f"Message {i}")


@pytest.mark.parametrize("rows", [3, 50])
def test_admin_list_query_count_is_pinned(world, rows, django_assert_num_queries):
    _many_conversations(world, rows)
    client = api_client(world["admin"])
    # 1 session, 2 user, 3 count, 4 page of conversations with customer/lead/assignee/ticket, 5 unread counts
    with django_assert_num_queries(5):
        response = call(client, "GET", "/api/admin/conversations", query={"limit": 100})
    assert len(response.json()["items"]) == rows + 3


@pytest.mark.parametrize("rows", [3, 50])
def test_staff_list_query_count_is_pinned(world, rows, django_assert_num_queries):
    _many_conversations(world, rows)
    client = api_client(world["sarah"])
    # 1 session, 2 user, 3 count, 4 page with customer/lead/assignee/ticket, 5 unread counts
    with django_assert_num_queries(5):
        response = call(client, "GET", "/api/staff/conversations", query={"limit": 100})
    assert len(response.json()["items"]) == rows + 1


@pytest.mark.parametrize("rows", [3, 50])
def test_message_poll_query_count_is_pinned(world, rows, django_assert_num_queries, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0  # John writes 50 messages at once here
    johns = world["johns"]
    for i in range(rows):
        conversation_post_message(actor=world["john"], conversation=johns, body=f"Line {i}")
    client = api_client(world["sarah"])
    # 1 session, 2 user, 3 conversation (visible_to), 4 messages with senders, 5 mark read (UPDATE),
    # 6 move the conversation's updated_at (something was marked: the lists' badges change)
    with django_assert_num_queries(6):
        response = call(client, "GET", messages_url(johns.pk))
    assert len(response.json()["items"]) == rows + 2
    # An idle poll: 1 session, 2 user, 3 conversation, 4 messages (none), nothing to mark
    with django_assert_num_queries(4):
        assert call(client, "GET", messages_url(johns.pk), query={"after": rows + 2}).json()["count"] == 0


@pytest.mark.parametrize("rows", [3, 50])
def test_team_list_query_count_is_pinned(world, rows, django_assert_num_queries):
    from tests.factories import StaffFactory

    StaffFactory.create_batch(rows)
    client = api_client(world["admin"])
    # 1 session, 2 user, 3 count, 4 page
    with django_assert_num_queries(4):
        response = call(client, "GET", "/api/admin/staff", query={"limit": 100})
    assert response.json()["count"] == rows + 3

