"""The staff inbox: list, rows poll, detail, reply, status (house-style battery)."""

import uuid

import pytest
from django.urls import reverse

from conversations.models import Message, Status
from conversations.services import conversation_assign

HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = reverse("staff:conversation_list")
ROWS = reverse("staff:conversation_rows")


def detail(c):
    return reverse("staff:conversation_detail", args=[c.pk])


def reply(c):
    return reverse("staff:conversation_reply", args=[c.pk])


def status(c):
    return reverse("staff:conversation_status", args=[c.pk])


@pytest.fixture
def sarahs(admin_user, sarah, john, johns_conversation, post):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    post(john, johns_conversation, "First question")
    post(john, johns_conversation, "Second question")
    return johns_conversation


@pytest.fixture
def mikes(admin_user, mike, jane, janes_conversation, post):
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=mike)
    post(jane, janes_conversation, "Jane's private billing question")
    return janes_conversation


@pytest.mark.django_db
class TestIndex:
    def test_redirects_to_the_list(self, as_user, sarah):
        response = as_user(sarah).get(reverse("staff:index"))
        assert response.status_code == 302 and response["Location"] == LIST

    def test_customer_refused(self, as_user, john):
        assert as_user(john).get(reverse("staff:index")).status_code == 403


@pytest.mark.django_db
class TestList:
    def test_only_my_conversations_with_badge_and_preview(self, as_user, sarah, sarahs, mikes):
        html = as_user(sarah).get(LIST).content.decode()
        assert "John Doe" in html and "Second question" in html
        assert 'class="badge"' in html and "2<span class=\"visually-hidden\"> unread" in html
        assert "Jane" not in html

    def test_admin_sees_only_their_assigned_ones_here(self, as_user, admin_user, sarahs):
        assert "John Doe" not in as_user(admin_user).get(LIST).content.decode()

    def test_newest_activity_first(self, as_user, sarah, admin_user, sarahs, lead_conversation, post):
        conversation_assign(actor=admin_user, conversation=lead_conversation, assignee=sarah)
        post(None, lead_conversation, "Lead writes last")
        html = as_user(sarah).get(LIST).content.decode()
        assert html.index("Alice Brown") < html.index("John Doe")

    def test_status_filter(self, as_user, sarah, sarahs):
        client = as_user(sarah)
        assert "John Doe" in client.get(LIST, {"status": "OPEN"}).content.decode()
        assert "John Doe" not in client.get(LIST, {"status": "CLOSED"}).content.decode()

    @pytest.mark.parametrize("query", [{"status": "DROP TABLE"}, {"page": "0"}, {"page": "x"}, {"status": "open"}])
    def test_bad_filter_is_400(self, as_user, sarah, query):
        response = as_user(sarah).get(LIST, query)
        assert response.status_code == 400
        assert any(reason in response.content for reason in (b"Select a valid choice", b"whole number", b"greater than"))

    def test_page_past_the_end_shows_the_last(self, as_user, sarah, sarahs):
        assert as_user(sarah).get(LIST, {"page": 99}).status_code == 200

    def test_needs_login(self, client):
        assert client.get(LIST).status_code == 302

    def test_customer_refused(self, as_user, john):
        assert as_user(john).get(LIST).status_code == 403

    def test_wrong_method(self, as_user, sarah):
        assert as_user(sarah).post(LIST).status_code == 405


@pytest.mark.django_db
class TestRowsPoll:
    def test_unchanged_is_204_changed_is_rows(self, as_user, sarah, john, sarahs, post):
        client = as_user(sarah)
        html = client.get(LIST).content.decode()
        stamp = html.split("stamp=")[1].split('"')[0]
        assert client.get(ROWS, {"stamp": stamp}).status_code == 204
        post(john, sarahs, "A third one")
        response = client.get(ROWS, {"stamp": stamp}, **HTMX)
        assert response.status_code == 200
        assert "A third one" in response.content.decode() and "<html" not in response.content.decode()

    def test_bad_stamp_is_400(self, as_user, sarah):
        assert as_user(sarah).get(ROWS, {"stamp": "<script>"}).status_code == 400

    def test_never_counts_other_staffs(self, as_user, sarah, mikes):
        assert "Jane" not in as_user(sarah).get(ROWS).content.decode()

    def test_customer_refused(self, as_user, john):
        assert as_user(john).get(ROWS).status_code == 403

    def test_wrong_method(self, as_user, sarah):
        assert as_user(sarah).post(ROWS).status_code == 405


@pytest.mark.django_db
class TestDetail:
    def test_history_reply_box_and_status(self, as_user, sarah, sarahs):
        html = as_user(sarah).get(detail(sarahs)).content.decode()
        assert "First question" in html and "Second question" in html
        assert '<label for="panel-status">Status</label>' in html
        assert "Assign to" not in html  # staff cannot assign
        assert "Acme Corporation" in html
        assert 'class="flash"' not in html  # the thread is not mistaken for flash messages

    def test_opening_marks_the_customers_messages_read(self, as_user, sarah, sarahs):
        as_user(sarah).get(detail(sarahs))
        assert not Message.objects.filter(conversation=sarahs, read_at__isnull=True).exists()

    def test_other_staffs_conversation_is_404(self, as_user, mike, sarahs):
        response = as_user(mike).get(detail(sarahs))
        assert response.status_code == 404 and b"First question" not in response.content
        assert not Message.objects.filter(read_at__isnull=False).exists()

    def test_missing_and_huge_ids_are_404(self, as_user, sarah):
        client = as_user(sarah)
        assert client.get("/staff/conversations/999999/").status_code == 404
        assert client.get("/staff/conversations/" + "9" * 20 + "/").status_code == 404
        assert client.get("/staff/conversations/abc/").status_code == 404

    def test_admin_sees_it_in_the_console_not_in_the_inbox(self, as_user, admin_user, sarahs):
        assert as_user(admin_user).get(detail(sarahs)).status_code == 404

    def test_customer_refused(self, as_user, john, sarahs):
        assert as_user(john).get(detail(sarahs)).status_code == 403

    def test_needs_login(self, client, sarahs):
        assert client.get(detail(sarahs)).status_code == 302

    def test_wrong_method(self, as_user, sarah, sarahs):
        assert as_user(sarah).post(detail(sarahs)).status_code == 405


@pytest.mark.django_db
class TestReply:
    def data(self, body="Here to help"):
        return {"body": body, "client_token": str(uuid.uuid4())}

    def test_reply(self, as_user, sarah, sarahs):
        response = as_user(sarah).post(reply(sarahs), self.data(), **HTMX)
        assert response.status_code == 204 and response["HX-Trigger"] == "messages-changed"
        message = Message.objects.get(conversation=sarahs, seq=3)
        assert message.sender == sarah and not message.from_participant

    def test_plain_post_redirects_to_the_page(self, as_user, sarah, sarahs):
        response = as_user(sarah).post(reply(sarahs), self.data())
        assert response.status_code == 302 and response["Location"] == detail(sarahs)

    def test_bad_body(self, as_user, sarah, sarahs):
        response = as_user(sarah).post(reply(sarahs), self.data(""), **HTMX)
        assert response.status_code == 400 and b"Write a message" in response.content

    def test_other_staff_gets_404_and_nothing_is_written(self, as_user, mike, sarahs):
        assert as_user(mike).post(reply(sarahs), self.data(), **HTMX).status_code == 404
        assert sarahs.messages.count() == 2

    def test_reassigned_staff_cannot_post(self, as_user, sarah, mike, admin_user, sarahs):
        client = as_user(sarah)
        conversation_assign(actor=admin_user, conversation=sarahs, assignee=mike)
        assert client.post(reply(sarahs), self.data(), **HTMX).status_code == 404
        assert sarahs.messages.count() == 2

    def test_customer_refused(self, as_user, john, sarahs):
        assert as_user(john).post(reply(sarahs), self.data()).status_code == 403

    def test_wrong_method(self, as_user, sarah, sarahs):
        assert as_user(sarah).get(reply(sarahs)).status_code == 405


@pytest.mark.django_db
class TestStatus:
    def test_change_status_ticket_follows(self, as_user, sarah, sarahs):
        response = as_user(sarah).post(status(sarahs), {"status": "RESOLVED"}, HTTP_HX_REQUEST="true",
                                       HTTP_HX_TARGET="conversation-panel")
        assert response.status_code == 200 and 'id="conversation-panel"' in response.content.decode()
        sarahs.refresh_from_db()
        assert sarahs.status == Status.RESOLVED and sarahs.ticket.status == Status.RESOLVED

    def test_plain_post_redirects(self, as_user, sarah, sarahs):
        response = as_user(sarah).post(status(sarahs), {"status": "PENDING"})
        assert response.status_code == 302

    @pytest.mark.parametrize("value", ["", "DELETED", "open"])
    def test_unknown_status_is_400(self, as_user, sarah, sarahs, value):
        response = as_user(sarah).post(status(sarahs), {"status": value}, **HTMX)
        assert response.status_code == 400
        sarahs.refresh_from_db()
        assert sarahs.status == Status.OPEN

    def test_other_staff_404(self, as_user, mike, sarahs):
        assert as_user(mike).post(status(sarahs), {"status": "CLOSED"}).status_code == 404
        sarahs.refresh_from_db()
        assert sarahs.status == Status.OPEN

    def test_customer_refused(self, as_user, john, sarahs):
        assert as_user(john).post(status(sarahs), {"status": "CLOSED"}).status_code == 403

    def test_wrong_method(self, as_user, sarah, sarahs):
        assert as_user(sarah).get(status(sarahs)).status_code == 405
