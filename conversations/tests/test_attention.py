"""The tab's count (issue 15, part 3): /staff/attention/ names the viewer's assigned
conversations with unread participant messages; /portal/attention/ counts a customer's
unread replies. JSON with ids, counts and links only (never message text), one query
after the session's two, the same at 3 and at 150 conversations."""

import pytest
from django.urls import reverse

from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_mark_read,
)
from tests.factories import CustomerFactory, StaffFactory


@pytest.fixture
def waiting(admin_user, sarah, mike, john, jane, johns_conversation, janes_conversation, post):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=mike)
    post(john, johns_conversation, "secret words from John")
    post(jane, janes_conversation, "Jane's question")
    return johns_conversation


@pytest.mark.django_db
class TestStaffAttention:
    def test_counts_assigned_conversations_with_unread_participant_messages(self, as_user, sarah, waiting):
        data = as_user(sarah).get(reverse("staff:attention")).json()
        url = reverse("staff:conversation_detail", args=[waiting.pk])
        assert data == {"count": 1, "more": False, "waiting": [{"id": waiting.pk, "url": url}]}

    def test_never_carries_message_text_or_names(self, as_user, sarah, waiting):
        body = as_user(sarah).get(reverse("staff:attention")).content.decode()
        assert "secret" not in body and "John" not in body

    def test_a_read_takes_it_off(self, as_user, sarah, waiting):
        conversation_mark_read(reader=sarah, conversation=waiting)
        assert as_user(sarah).get(reverse("staff:attention")).json()["count"] == 0

    def test_the_teams_own_messages_do_not_count(self, as_user, sarah, waiting, post):
        conversation_mark_read(reader=sarah, conversation=waiting)
        post(sarah, waiting, "a reply")
        assert as_user(sarah).get(reverse("staff:attention")).json()["count"] == 0

    def test_admins_count_only_what_is_assigned_to_them(self, as_user, admin_user, waiting):
        assert as_user(admin_user).get(reverse("staff:attention")).json()["count"] == 0

    def test_only_ones_own(self, as_user, mike, waiting, janes_conversation):
        data = as_user(mike).get(reverse("staff:attention")).json()
        assert [w["id"] for w in data["waiting"]] == [janes_conversation.pk]

    def test_needs_login_and_the_team_role(self, client, as_user, john, waiting):
        response = client.get(reverse("staff:attention"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert as_user(john).get(reverse("staff:attention")).status_code == 403

    def test_wrong_method(self, as_user, sarah, waiting):
        assert as_user(sarah).post(reverse("staff:attention")).status_code == 405

    def test_not_cached(self, as_user, sarah, waiting):
        assert as_user(sarah).get(reverse("staff:attention"))["Cache-Control"] == "no-store"

    @pytest.mark.parametrize("rows", [3, 150])
    def test_queries(self, as_user, admin_user, john, rows, post, django_assert_num_queries, settings):
        settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
        member = StaffFactory()
        for _ in range(rows):
            customer = CustomerFactory()
            conversation, _ = conversation_get_or_create_for_customer(customer=customer)
            conversation_assign(actor=admin_user, conversation=conversation, assignee=member)
            post(customer, conversation, "hello")
        client = as_user(member)
        # 1 session, 2 user, 3 the assigned conversations with unread participant messages
        with django_assert_num_queries(3):
            data = client.get(reverse("staff:attention")).json()
        assert data["count"] == min(rows, 100) and data["more"] == (rows > 99)
        assert len(data["waiting"]) == min(rows, 99)


@pytest.mark.django_db
class TestCustomerAttention:
    def test_counts_unread_replies(self, as_user, john, sarah, waiting, post):
        post(sarah, waiting, "first reply")
        post(sarah, waiting, "second reply")
        data = as_user(john).get(reverse("portal:attention")).json()
        assert data == {"count": 2, "more": False, "waiting": [{"id": waiting.pk, "url": reverse("portal:chat")}]}
        conversation_mark_read(reader=john, conversation=waiting)
        assert as_user(john).get(reverse("portal:attention")).json()["count"] == 0

    def test_another_customers_replies_never_count(self, as_user, jane, mike, janes_conversation, waiting, post):
        post(mike, janes_conversation, "for Jane")
        assert as_user(jane).get(reverse("portal:attention")).json()["count"] == 1
        assert as_user(jane).get(reverse("portal:attention")).json()["waiting"][0]["id"] == janes_conversation.pk

    def test_a_customer_without_a_conversation(self, as_user):
        assert as_user(CustomerFactory()).get(reverse("portal:attention")).json()["count"] == 0

    def test_team_refused(self, as_user, sarah, waiting):
        assert as_user(sarah).get(reverse("portal:attention")).status_code == 403

    def test_queries(self, as_user, john, sarah, waiting, post, django_assert_num_queries):
        post(sarah, waiting, "reply")
        client = as_user(john)
        # 1 session, 2 user, 3 the team's unread replies in the customer's conversation
        with django_assert_num_queries(3):
            assert client.get(reverse("portal:attention")).json()["count"] == 1
