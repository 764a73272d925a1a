"""Polling (SPEC §5, house style 10, 12): cursors, 204s, access on every poll, and the
number of queries each list page and poll costs, pinned at 3 and at 50 rows."""

import re

import pytest
from django.urls import reverse

from conversations.services import conversation_assign

HTMX = {"HTTP_HX_REQUEST": "true"}


def cursor_of(response) -> int:
    return int(re.search(r"\?after=(\d+)", response.content.decode()).group(1))


def seqs_of(response) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', response.content.decode())]


@pytest.fixture
def sarahs(admin_user, sarah, john, johns_conversation, post):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    post(john, johns_conversation, "one")
    return johns_conversation


def team_poll(c, portal="staff"):
    return reverse(f"{portal}:conversation_messages", args=[c.pk])


@pytest.mark.django_db
class TestCursor:
    def test_follows_the_cursor_never_twice_never_skipped(self, as_user, sarah, john, sarahs, post):
        client = as_user(sarah)
        page = client.get(reverse("staff:conversation_detail", args=[sarahs.pk]))
        cursor, seen = cursor_of(page), seqs_of(page)
        assert seen == [1] and cursor == 1
        for round_ in range(4):
            for n in range(round_):  # 0, 1, 2, 3 new messages between polls
                post(john if n % 2 else sarah, sarahs, f"round {round_} message {n}")
            response = client.get(team_poll(sarahs), {"after": cursor}, **HTMX)
            if round_ == 0:
                assert response.status_code == 204
                continue
            assert response.status_code == 200
            new = seqs_of(response)
            assert new == list(range(cursor + 1, cursor + 1 + round_))
            seen += new
            cursor = cursor_of(response)
        assert seen == list(range(1, sarahs.messages.count() + 1))

    def test_poll_answers_only_rows_and_the_oob_poller(self, as_user, sarah, john, sarahs, post):
        post(john, sarahs, "<script>alert(1)</script><img src=x onerror=alert(2)> javascript:alert(3)")
        html = as_user(sarah).get(team_poll(sarahs), {"after": 1}, **HTMX).content.decode()
        assert "<html" not in html and 'hx-swap-oob="true"' in html
        assert "<script>alert" not in html and "<img" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "href=\"javascript" not in html

    def test_marks_read_only_what_it_delivered(self, as_user, sarah, john, sarahs, post):
        client = as_user(sarah)
        post(john, sarahs, "two")
        client.get(team_poll(sarahs), {"after": 1}, **HTMX)
        post(john, sarahs, "three")  # arrives after the poll: still unread
        assert list(sarahs.messages.filter(read_at__isnull=True).values_list("seq", flat=True)) == [3]

    def test_reassigned_staffs_next_poll_gets_404(self, as_user, sarah, mike, admin_user, john, sarahs, post):
        client = as_user(sarah)
        assert client.get(team_poll(sarahs), {"after": 1}, **HTMX).status_code == 204
        conversation_assign(actor=admin_user, conversation=sarahs, assignee=mike)
        post(john, sarahs, "for Mike only")
        response = client.get(team_poll(sarahs), {"after": 1}, **HTMX)
        assert response.status_code == 404 and b"for Mike only" not in response.content

    def test_other_staff_and_customers(self, as_user, mike, jane, sarahs):
        assert as_user(mike).get(team_poll(sarahs), {"after": 0}).status_code == 404
        assert as_user(jane).get(team_poll(sarahs), {"after": 0}).status_code == 403
        assert as_user(mike).get(team_poll(sarahs, "console"), {"after": 0}).status_code == 403

    @pytest.mark.parametrize("query", [{}, {"after": "x"}, {"after": "-5"}, {"after": "1.5"}])
    def test_bad_cursor_400(self, as_user, sarah, sarahs, query):
        assert as_user(sarah).get(team_poll(sarahs), query).status_code == 400

    def test_wrong_method(self, as_user, sarah, sarahs):
        assert as_user(sarah).post(team_poll(sarahs), {"after": 0}).status_code == 405

    def test_expired_session_gets_hx_redirect_not_a_login_form(self, client, sarahs):
        response = client.get(team_poll(sarahs), {"after": 0}, HTTP_HX_REQUEST="true",
                              HTTP_HX_CURRENT_URL=f"http://testserver/staff/conversations/{sarahs.pk}/")
        assert response.status_code == 204 and response.content == b""
        assert response["HX-Redirect"].startswith("/accounts/login/?next=%2Fstaff%2Fconversations%2F")


@pytest.mark.django_db
class TestPollQueries:
    def test_idle_team_poll(self, as_user, sarah, sarahs, django_assert_num_queries):
        client = as_user(sarah)
        # 1 session, 2 user, 3 the conversation through the access check (last_seq says: nothing new)
        with django_assert_num_queries(3):
            assert client.get(team_poll(sarahs), {"after": 1}, **HTMX).status_code == 204

    def test_team_poll_with_new_rows(self, as_user, sarah, john, sarahs, post, django_assert_num_queries):
        client = as_user(sarah)
        post(sarah, sarahs, "already mine")
        # 1 session, 2 user, 3 conversation, 4 the new messages with their senders
        with django_assert_num_queries(4):
            assert client.get(team_poll(sarahs), {"after": 1}, **HTMX).status_code == 200
        post(john, sarahs, "unread for Sarah")
        # ... and 5 marking the delivered customer message read, 6 moving the conversation's
        # updated_at (the lists' stamp and the live feed: the badge elsewhere clears)
        with django_assert_num_queries(6):
            assert client.get(team_poll(sarahs), {"after": 2}, **HTMX).status_code == 200

    def test_idle_customer_poll(self, as_user, john, sarahs, django_assert_num_queries):
        client = as_user(john)
        # 1 session, 2 user, 3 the customer's conversation
        with django_assert_num_queries(3):
            assert client.get(reverse("portal:messages"), {"after": 1}, **HTMX).status_code == 204

    def test_customer_poll_with_a_reply(self, as_user, john, sarah, sarahs, post, django_assert_num_queries):
        client = as_user(john)
        post(sarah, sarahs, "reply")
        # 1 session, 2 user, 3 conversation, 4 new messages, 5 mark the reply read,
        # 6 move the conversation's updated_at (something was marked)
        with django_assert_num_queries(6):
            assert client.get(reverse("portal:messages"), {"after": 1}, **HTMX).status_code == 200


@pytest.mark.django_db
class TestListQueries:
    """The same number of queries at 3 rows and at 50 (a page holds 25)."""

    @pytest.mark.parametrize("rows", [3, 50])
    def test_staff_list_and_rows_poll(self, as_user, sarah, many_conversations, rows, django_assert_num_queries):
        many_conversations(rows, sarah)
        client = as_user(sarah)
        # 1 session, 2 user, 3 count + newest activity (the poll stamp), 4 the page's
        # conversations with participant/assignee/ticket, 5 unread counts, 6 last messages,
        # 7 the viewer's @mention marks (issue 14)
        with django_assert_num_queries(7):
            page = client.get(reverse("staff:conversation_list"))
        assert page.content.decode().count('class="conv-link"') == min(rows, 25)
        stamp = page.content.decode().split("stamp=")[1].split('"')[0]
        # idle poll: 1 session, 2 user, 3 count + newest activity -> unchanged, 204
        with django_assert_num_queries(3):
            assert client.get(reverse("staff:conversation_rows"), {"stamp": stamp}).status_code == 204
        # changed: the same seven as the page
        with django_assert_num_queries(7):
            assert client.get(reverse("staff:conversation_rows"), {"stamp": "0-0"}).status_code == 200

    @pytest.mark.parametrize("rows", [3, 50])
    def test_console_list_and_rows_poll(self, as_user, admin_user, sarah, many_conversations, rows,
                                        django_assert_num_queries):
        many_conversations(rows, sarah)
        client = as_user(admin_user)
        # 1 session, 2 user, 3 team members (filter, the page's one "Assign to" list), 4 count +
        # newest activity, 5 the page's conversations, 6 unread counts, 7 last messages, 8 the
        # viewer's @mention marks
        with django_assert_num_queries(8):
            page = client.get(reverse("console:conversation_list"), {"assigned_to": sarah.pk, "status": "OPEN"})
        assert page.content.decode().count('class="conv-link"') == min(rows, 25)
        stamp = page.content.decode().split("stamp=")[1].split('"')[0].replace("&amp;", "&")
        # idle poll: 1 session, 2 user, 3 team members (validates assigned_to), 4 count + newest
        with django_assert_num_queries(4):
            response = client.get(reverse("console:conversation_rows"),
                                  {"assigned_to": sarah.pk, "status": "OPEN", "stamp": stamp})
            assert response.status_code == 204
        with django_assert_num_queries(8):
            assert client.get(reverse("console:conversation_rows"), {"stamp": "1-1"}).status_code == 200
