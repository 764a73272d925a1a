"""Earlier messages on demand (issue 15, part 1): ?before=<seq> on every portal's thread
poll view pages back through a thread of any length, in order, each message once,
behind the same access check as the poll, at a pinned number of queries."""

import re

import pytest
from django.urls import reverse

from conversations.selectors import THREAD_PAGE_SIZE
from conversations.services import conversation_assign
from tests.factories import CustomerFactory, bulk_messages

HTMX = {"HTTP_HX_REQUEST": "true"}


def seqs_of(response) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', response.content.decode())]


def earlier_cursor_of(response):
    found = re.search(r"\?before=(\d+)", response.content.decode())
    return int(found.group(1)) if found else None


@pytest.fixture
def long_thread(admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    return bulk_messages(johns_conversation, 450, customer=john, team_member=sarah)


def thread_urls(conversation):
    return {
        "staff": (reverse("staff:conversation_detail", args=[conversation.pk]),
                  reverse("staff:conversation_messages", args=[conversation.pk])),
        "console": (reverse("console:conversation_detail", args=[conversation.pk]),
                    reverse("console:conversation_messages", args=[conversation.pk])),
        "portal": (reverse("portal:chat"), reverse("portal:messages")),
    }


@pytest.mark.django_db
class TestPagingBack:
    @pytest.mark.parametrize("portal,who", [("staff", "sarah"), ("console", "admin_user"), ("portal", "john")])
    def test_pages_back_to_the_first_message_in_order_each_once(self, request, as_user, long_thread, portal, who):
        client = as_user(request.getfixturevalue(who))
        page_url, poll_url = thread_urls(long_thread)[portal]
        page = client.get(page_url)
        seen = seqs_of(page)
        assert seen == list(range(451 - THREAD_PAGE_SIZE, 451))
        assert "Earlier messages are not shown." not in page.content.decode()
        cursor = earlier_cursor_of(page)
        pages = 0
        while cursor is not None:
            response = client.get(poll_url, {"before": cursor}, **HTMX)
            assert response.status_code == 200
            rows = seqs_of(response)
            assert rows and rows[-1] == cursor - 1 and len(rows) <= THREAD_PAGE_SIZE
            seen = rows + seen
            cursor = earlier_cursor_of(response)
            pages += 1
        assert seen == list(range(1, 451))
        assert pages == 2
        # The last page carries no control: nothing is left to ask for.
        assert 'data-earlier' not in response.content.decode()

    def test_short_thread_has_no_control(self, as_user, sarah, admin_user, john, johns_conversation, post):
        conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
        post(john, johns_conversation, "hello")
        page = as_user(sarah).get(reverse("staff:conversation_detail", args=[johns_conversation.pk]))
        assert "data-earlier" not in page.content.decode()

    def test_an_earlier_page_marks_nothing_read(self, as_user, sarah, john, admin_user, johns_conversation):
        conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
        bulk_messages(johns_conversation, 20, customer=john, team_member=sarah, read=False)
        response = as_user(sarah).get(thread_urls(johns_conversation)["staff"][1], {"before": 15}, **HTMX)
        assert seqs_of(response) == list(range(1, 15))
        assert johns_conversation.messages.filter(read_at__isnull=False).count() == 0

    def test_customer_without_a_conversation_gets_an_empty_page(self, as_user):
        customer = CustomerFactory()
        response = as_user(customer).get(reverse("portal:messages"), {"before": 5}, **HTMX)
        assert response.status_code == 200 and seqs_of(response) == []


@pytest.mark.django_db
class TestEarlierAccessAndInput:
    def test_other_staff_404(self, as_user, mike, long_thread):
        response = as_user(mike).get(thread_urls(long_thread)["staff"][1], {"before": 100})
        assert response.status_code == 404

    def test_customer_on_team_route_refused(self, as_user, john, long_thread):
        assert as_user(john).get(thread_urls(long_thread)["staff"][1], {"before": 100}).status_code == 403

    def test_needs_login(self, client, long_thread):
        response = client.get(thread_urls(long_thread)["staff"][1], {"before": 100})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_wrong_method(self, as_user, sarah, long_thread):
        assert as_user(sarah).post(thread_urls(long_thread)["staff"][1], {"before": 100}).status_code == 405

    @pytest.mark.parametrize("query", [
        {"before": 0}, {"before": "x"}, {"before": "-1"}, {"before": 10, "after": 5}, {"before": ""},
    ])
    def test_bad_cursor_400_with_the_reason(self, as_user, sarah, long_thread, query):
        response = as_user(sarah).get(thread_urls(long_thread)["staff"][1], query)
        assert response.status_code == 400
        if "after" in query:
            assert "not both" in response.content.decode()


@pytest.mark.django_db
class TestEarlierQueries:
    @pytest.mark.parametrize("count", [3, 300])
    def test_earlier_page_queries(self, as_user, sarah, john, admin_user, johns_conversation, count,
                                  django_assert_num_queries):
        conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
        bulk_messages(johns_conversation, count, customer=john, team_member=sarah, read=False)
        client = as_user(sarah)
        url = thread_urls(johns_conversation)["staff"][1]
        # 1 session, 2 user, 3 the conversation through the access check,
        # 4 the page of messages before the cursor with their senders (no read marks)
        with django_assert_num_queries(4):
            response = client.get(url, {"before": count}, **HTMX)
        assert seqs_of(response) == list(range(max(1, count - THREAD_PAGE_SIZE), count))

    def test_customer_earlier_page_queries(self, as_user, john, long_thread, django_assert_num_queries):
        client = as_user(john)
        # 1 session, 2 user, 3 the customer's conversation, 4 the page of messages
        with django_assert_num_queries(4):
            assert client.get(reverse("portal:messages"), {"before": 300}, **HTMX).status_code == 200


@pytest.mark.django_db
def test_ten_thousand_messages_page_back_in_order(as_user, admin_user, sarah, john, johns_conversation,
                                                 django_assert_num_queries):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    bulk_messages(johns_conversation, 10_000, customer=john, team_member=sarah)
    client = as_user(sarah)
    page_url, poll_url = thread_urls(johns_conversation)["staff"]
    page = client.get(page_url)
    seen, cursor = seqs_of(page), earlier_cursor_of(page)
    while cursor is not None:
        # the same 4 queries on every page, the first as the fiftieth
        with django_assert_num_queries(4):
            response = client.get(poll_url, {"before": cursor}, **HTMX)
        seen = seqs_of(response) + seen
        cursor = earlier_cursor_of(response)
    assert seen == list(range(1, 10_001))
