import pytest
from django.urls import reverse

from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)
from tests.factories import CustomerFactory

STAFF = reverse("staff:ticket_list")
CONSOLE = reverse("console:ticket_list")


@pytest.fixture
def tickets(admin_user, sarah, mike, john, jane, johns_conversation, janes_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=mike)
    conversation_post_message(actor=john, conversation=johns_conversation, body="John's problem")
    conversation_post_message(actor=jane, conversation=janes_conversation, body="Jane's problem")


@pytest.mark.django_db
class TestTicketLists:
    def test_admin_sees_all(self, as_user, admin_user, tickets):
        html = as_user(admin_user).get(CONSOLE).content.decode()
        assert "Support request from John Doe" in html and "Support request from Jane Smith" in html

    def test_staff_sees_only_assigned(self, as_user, sarah, tickets):
        html = as_user(sarah).get(STAFF).content.decode()
        assert "Support request from John Doe" in html and "Jane Smith" not in html

    def test_admin_in_the_staff_portal_sees_only_their_own(self, as_user, admin_user, tickets):
        assert "Support request" not in as_user(admin_user).get(STAFF).content.decode()

    def test_filters(self, as_user, admin_user, tickets):
        client = as_user(admin_user)
        assert "John Doe" not in client.get(CONSOLE, {"status": "CLOSED"}).content.decode().split("<table")[-1]
        assert "John Doe" in client.get(CONSOLE, {"priority": "normal"}).content.decode()

    @pytest.mark.parametrize("query", [{"status": "x"}, {"priority": "asap"}, {"page": "abc"}])
    def test_bad_filter_400(self, as_user, admin_user, query):
        assert as_user(admin_user).get(CONSOLE, query).status_code == 400

    def test_needs_login(self, client):
        assert client.get(STAFF).status_code == 302 and client.get(CONSOLE).status_code == 302

    def test_wrong_roles(self, as_user, john, sarah):
        assert as_user(john).get(STAFF).status_code == 403
        assert as_user(sarah).get(CONSOLE).status_code == 403

    def test_wrong_method(self, as_user, admin_user):
        assert as_user(admin_user).post(CONSOLE).status_code == 405

    @pytest.mark.parametrize("rows", [3, 50])
    def test_query_count(self, as_user, admin_user, sarah, rows, django_assert_num_queries, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
        for _ in range(rows):
            customer = CustomerFactory()
            conversation, _ = conversation_get_or_create_for_customer(customer=customer)
            conversation_assign(actor=admin_user, conversation=conversation, assignee=sarah)
            conversation_post_message(actor=customer, conversation=conversation, body="help")
        admin_client, sarah_client = as_user(admin_user), as_user(sarah)
        # 1 session, 2 user, 3 count, 4 the page of tickets with conversation, participant, assignee
        with django_assert_num_queries(4):
            assert admin_client.get(CONSOLE).status_code == 200
        with django_assert_num_queries(4):
            assert sarah_client.get(STAFF).status_code == 200
