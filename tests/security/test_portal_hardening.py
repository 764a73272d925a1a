"""Issue 9 fixes in the portals' views: a poll never loads a whole long thread (A1), a
request header never widens which fragment a staff member gets (A7), and a GET that
another site caused changes nothing (A10)."""

import pytest

from conversations.models import Conversation, Message
from conversations.selectors import THREAD_PAGE_SIZE
from conversations.services import conversation_assign, conversation_post_message
from tests.personas import client_for

CROSS_SITE = {"HTTP_SEC_FETCH_SITE": "cross-site"}
SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin"}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def johns_thread(admin_user, sarah, mike, john, johns_conversation):
    """John's conversation, assigned to Sarah, with one unread message from John."""
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Hello")
    return johns_conversation


def unread_from(conversation, *, participant: bool) -> int:
    return Message.objects.filter(conversation=conversation, from_participant=participant, read_at__isnull=True).count()


# --- A1: a poll returns at most a page ------------------------------------------------

@pytest.fixture
def long_thread(johns_thread, john, sarah, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
    for n in range(THREAD_PAGE_SIZE + 49):  # 250 messages in all, with the fixture's first
        conversation_post_message(actor=john if n % 2 else sarah, conversation=johns_thread, body=f"message {n}")
    johns_thread.refresh_from_db()
    assert johns_thread.last_seq == THREAD_PAGE_SIZE + 50
    return johns_thread


@pytest.mark.parametrize("who, path", [
    ("john", "/portal/chat/messages/"),
    ("sarah", "/staff/conversations/{pk}/messages/"),
    ("admin_user", "/admin/conversations/{pk}/messages/"),
])
def test_a_poll_from_far_behind_gets_one_page_and_the_cursor_carries_the_rest(request, long_thread, who, path):
    client = client_for(request.getfixturevalue(who))
    url = path.format(pk=long_thread.pk)
    first = client.get(url, {"after": 0}, **HTMX).content.decode()
    assert first.count('class="msg ') == THREAD_PAGE_SIZE
    assert 'id="msg-1"' in first and f'id="msg-{THREAD_PAGE_SIZE}"' in first
    assert f'id="msg-{THREAD_PAGE_SIZE + 1}"' not in first
    assert f"?after={THREAD_PAGE_SIZE}" in first  # the out-of-band poller's new cursor
    rest = client.get(url, {"after": THREAD_PAGE_SIZE}, **HTMX).content.decode()
    assert rest.count('class="msg ') == 50
    assert f"?after={THREAD_PAGE_SIZE + 50}" in rest
    assert client.get(url, {"after": THREAD_PAGE_SIZE + 50}, **HTMX).status_code == 204


# --- A7: HX-Target never widens the fragment ------------------------------------------

def test_a_staff_status_change_aiming_at_a_console_row_gets_the_staff_panel(johns_thread, sarah, mike):
    """The console's row fragment lists every team member (what /api/admin/staff refuses
    staff): naming it in HX-Target must not get it to a staff member."""
    response = client_for(sarah).post(
        f"/staff/conversations/{johns_thread.pk}/status/", {"status": "PENDING"},
        HTTP_HX_TARGET=f"row-{johns_thread.pk}", **HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="conversation-panel"' in body and f'id="row-{johns_thread.pk}"' not in body
    assert mike.name not in body and f'value="{mike.pk}"' not in body
    assert Conversation.objects.get(pk=johns_thread.pk).status == "PENDING"


def test_an_admin_changing_status_from_the_console_list_gets_the_row(johns_thread, admin_user, sarah):
    response = client_for(admin_user).post(
        f"/admin/conversations/{johns_thread.pk}/status/", {"status": "RESOLVED"},
        HTTP_HX_TARGET=f"row-{johns_thread.pk}", **HTMX,
    )
    body = response.content.decode()
    # The row (its own assignee; the team's options stay on the page, issue 13).
    assert f'id="row-{johns_thread.pk}"' in body and f'<option value="{sarah.pk}" selected>{sarah.name}' in body


# --- A10: a GET another site caused changes nothing -----------------------------------

@pytest.mark.parametrize("path", ["/staff/conversations/{pk}/", "/staff/conversations/{pk}/messages/?after=0",
                                  "/admin/conversations/{pk}/", "/api/conversations/{pk}/messages"])
def test_a_cross_site_get_marks_nothing_read_and_the_persons_own_visit_does(johns_thread, sarah, admin_user, path):
    url = path.format(pk=johns_thread.pk)
    viewer = admin_user if url.startswith("/admin/") else sarah
    client = client_for(viewer)
    assert client.get(url, **CROSS_SITE).status_code == 200
    assert unread_from(johns_thread, participant=True) == 1
    assert client.get(url, **SAME_ORIGIN).status_code == 200
    assert unread_from(johns_thread, participant=True) == 0


@pytest.mark.parametrize("path", ["/portal/chat/", "/api/conversations/{pk}/messages"])
def test_a_cross_site_get_marks_no_reply_read_for_the_customer(johns_thread, john, sarah, path):
    conversation_post_message(actor=sarah, conversation=johns_thread, body="A reply")
    client = client_for(john)
    client.get(path.format(pk=johns_thread.pk), **CROSS_SITE)
    assert unread_from(johns_thread, participant=False) == 1
    client.get(path.format(pk=johns_thread.pk), HTTP_SEC_FETCH_SITE="none")  # typed or bookmarked
    assert unread_from(johns_thread, participant=False) == 0


def test_a_cross_site_link_to_the_chat_creates_no_conversation(jane):
    client = client_for(jane)
    response = client.get("/portal/chat/", **CROSS_SITE)
    assert response.status_code == 200
    assert "Ask us anything" in response.content.decode()
    assert not Conversation.objects.filter(customer=jane).exists()
    response = client.get("/api/portal/conversation", **CROSS_SITE)
    assert response.status_code == 403 and "another site" in response.json()["detail"]
    assert not Conversation.objects.filter(customer=jane).exists()
    # Her own visit creates it (SPEC §4.2: on first open), and her first message works either way.
    assert client.get("/portal/chat/", **SAME_ORIGIN).status_code == 200
    assert Conversation.objects.filter(customer=jane).count() == 1


def test_the_first_message_creates_the_conversation_when_the_chat_page_did_not(jane):
    client = client_for(jane)
    client.get("/portal/chat/", **CROSS_SITE)
    response = client.post("/portal/chat/send/", {"body": "Hi", "client_token": "0f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"}, **HTMX)
    assert response.status_code == 204
    assert Conversation.objects.get(customer=jane).last_seq == 1
