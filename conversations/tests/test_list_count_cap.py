"""Lists count at most LIST_COUNT_CAP rows, so their cost does not grow with the table."""

import pytest
from django.urls import reverse

from conversations import selectors
from conversations.selectors import conversation_list_for
from conversations.views import lists

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 3)
    monkeypatch.setattr(lists, "LIST_COUNT_CAP", 3)
    monkeypatch.setattr(lists, "LIST_PAGE_SIZE", 2)


def test_beyond_the_cap_the_list_says_plus_and_still_pages(small_cap, as_user, admin_user, many_conversations):
    many_conversations(5)
    response = as_user(admin_user).get(reverse("console:conversation_list"))
    assert response.status_code == 200
    assert "3+ in all" in response.content.decode()
    assert response.context["page"].paginator.num_pages == 2


def test_under_the_cap_the_count_is_exact(small_cap, as_user, sarah, many_conversations):
    many_conversations(2, assignee=sarah)
    response = as_user(sarah).get(reverse("staff:conversation_list"))
    body = response.content.decode()
    assert "2 in all" in body and "+ in all" not in body


def test_the_stamp_still_moves_with_the_newest_change_beyond_the_cap(small_cap, admin_user, many_conversations, post):
    conversations = many_conversations(5)
    before = lists.list_stamp(conversation_list_for(admin_user))
    post(admin_user, conversations[0], "a reply to the oldest")
    after = lists.list_stamp(conversation_list_for(admin_user))
    assert before[0] == after[0] == 4  # capped: LIST_COUNT_CAP + 1 rows counted
    assert before[1] != after[1]


def test_the_api_lists_count_the_same_way_capped(small_cap, as_user, admin_user, sarah, many_conversations):
    """One paging rule: the API's count is the HTML list's count (cap + 1 means "more")."""
    many_conversations(5)
    many_conversations(2, assignee=sarah)
    admin_list = as_user(admin_user).get("/api/admin/conversations", {"limit": 100}).json()
    assert admin_list["count"] == 4 and len(admin_list["items"]) == 7
    staff_list = as_user(sarah).get("/api/staff/conversations").json()
    assert staff_list["count"] == 2
