"""The customer portal: /portal/chat/, its poll and its send (house-style battery)."""

import uuid

import pytest
from django.urls import reverse

from conversations.models import Conversation, Message, Status
from conversations.services import conversation_set_status

CHAT = reverse("portal:chat")
POLL = reverse("portal:messages")
SEND = reverse("portal:send")
HTMX = {"HTTP_HX_REQUEST": "true"}


def send(client, body, token=None, **extra):
    return client.post(SEND, {"body": body, "client_token": token or str(uuid.uuid4())}, **extra)


@pytest.mark.django_db
class TestChatPage:
    def test_creates_the_conversation_on_first_open(self, as_user, john):
        response = as_user(john).get(CHAT)
        assert response.status_code == 200
        assert Conversation.objects.filter(customer=john).count() == 1
        assert b'aria-live="polite"' in response.content
        assert b"<label for=\"id_body\">Message</label>" in response.content
        assert b">Send</button>" in response.content

    def test_shows_both_sides_with_names(self, as_user, john, sarah, admin_user, johns_conversation, post):
        from conversations.services import conversation_assign

        conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
        post(john, johns_conversation, "My printer is on fire")
        post(sarah, johns_conversation, "Have you tried water?")
        html = as_user(john).get(CHAT).content.decode()
        assert "My printer is on fire" in html and "Have you tried water?" in html
        assert "msg-mine" in html and "msg-theirs" in html
        assert "Sarah Johnson" in html and ">You<" in html

    def test_opening_marks_the_teams_replies_read(self, as_user, john, admin_user, johns_conversation, post):
        post(john, johns_conversation, "Hi")
        reply = post(admin_user, johns_conversation, "Hello John")
        as_user(john).get(CHAT)
        reply.refresh_from_db()
        assert reply.read_at is not None
        assert Message.objects.get(seq=1, conversation=johns_conversation).read_at is None

    def test_needs_login(self, client):
        response = client.get(CHAT)
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    @pytest.mark.parametrize("persona", ["sarah", "admin_user"])
    def test_team_is_refused(self, request, as_user, persona):
        assert as_user(request.getfixturevalue(persona)).get(CHAT).status_code == 403

    def test_wrong_method(self, as_user, john):
        assert as_user(john).post(CHAT).status_code == 405

    def test_only_my_own_conversation(self, as_user, john, jane, janes_conversation, post):
        post(jane, janes_conversation, "Jane's secret")
        html = as_user(john).get(CHAT).content.decode()
        assert "Jane's secret" not in html


@pytest.mark.django_db
class TestSend:
    def test_htmx_send_answers_204_and_triggers_the_poller(self, as_user, john):
        response = send(as_user(john), "Hello there", **HTMX)
        assert response.status_code == 204
        assert response["HX-Trigger"] == "messages-changed"
        message = Message.objects.get()
        assert message.body == "Hello there" and message.sender == john and message.seq == 1
        assert message.conversation.ticket.subject == "Support request from John Doe"

    def test_plain_form_post_redirects_back(self, as_user, john):
        response = send(as_user(john), "No JavaScript here")
        assert response.status_code == 302 and response["Location"] == CHAT

    def test_double_click_makes_one_message(self, as_user, john):
        client, token = as_user(john), str(uuid.uuid4())
        assert send(client, "Once", token, **HTMX).status_code == 204
        assert send(client, "Once", token, **HTMX).status_code == 204
        assert Message.objects.count() == 1

    def test_reopens_a_resolved_conversation(self, as_user, john, admin_user, johns_conversation):
        conversation_set_status(actor=admin_user, conversation=johns_conversation, status=Status.RESOLVED)
        send(as_user(john), "It broke again", **HTMX)
        johns_conversation.refresh_from_db()
        assert johns_conversation.status == Status.OPEN

    @pytest.mark.parametrize("body, reason", [
        ("   ", "Write a message before sending."),
        ("x" * 5001, "at most 5,000 characters"),
        ("nul\x00byte", "Null characters are not allowed"),
        ("bell\x07", "Control characters"),
    ])
    def test_bad_body_is_400_with_the_reason(self, as_user, john, body, reason):
        client = as_user(john)
        response = send(client, body, **HTMX)
        assert response.status_code == 400 and reason in response.content.decode()
        page = send(client, body)  # without htmx: the page with the error under the box
        assert page.status_code == 400 and reason in page.content.decode()
        assert Message.objects.count() == 0

    def test_longest_body_is_accepted(self, as_user, john):
        assert send(as_user(john), "y" * 5000, **HTMX).status_code == 204

    def test_missing_token_is_400(self, as_user, john):
        response = as_user(john).post(SEND, {"body": "hi"}, **HTMX)
        assert response.status_code == 400 and Message.objects.count() == 0

    def test_extra_fields_are_ignored(self, as_user, john, jane, janes_conversation):
        client = as_user(john)
        client.post(SEND, {"body": "mine", "client_token": str(uuid.uuid4()), "sender": jane.pk,
                           "conversation_id": janes_conversation.pk, "seq": 99}, **HTMX)
        message = Message.objects.get()
        assert message.sender == john and message.conversation.customer == john and message.seq == 1

    def test_needs_login_htmx_gets_hx_redirect(self, client):
        response = send(client, "hi", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/portal/chat/")
        assert response.status_code == 204
        assert response["HX-Redirect"] == reverse("accounts:login") + "?next=%2Fportal%2Fchat%2F"

    def test_team_is_refused(self, as_user, sarah):
        assert send(as_user(sarah), "hi", **HTMX).status_code == 403

    def test_wrong_method(self, as_user, john):
        assert as_user(john).get(SEND).status_code == 405

    def test_csrf_is_enforced(self, john):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(john)
        assert send(client, "hi").status_code == 403
        assert Message.objects.count() == 0


@pytest.mark.django_db
class TestPortalPoll:
    def test_idle_is_204(self, as_user, john, johns_conversation, post):
        post(john, johns_conversation, "Hi")
        response = as_user(john).get(POLL, {"after": 1}, **HTMX)
        assert response.status_code == 204 and response.content == b""

    def test_new_rows_and_the_next_cursor(self, as_user, john, admin_user, johns_conversation, post):
        post(john, johns_conversation, "Hi")
        post(admin_user, johns_conversation, "Hello from the team")
        html = as_user(john).get(POLL, {"after": 1}, **HTMX).content.decode()
        assert "Hello from the team" in html and ">Hi<" not in html
        assert 'hx-swap-oob="true"' in html and "?after=2" in html

    def test_other_customers_messages_never_show(self, as_user, john, jane, janes_conversation, post):
        post(jane, janes_conversation, "Jane only")
        response = as_user(john).get(POLL, {"after": 0}, **HTMX)
        assert response.status_code == 204

    @pytest.mark.parametrize("query", [{}, {"after": "abc"}, {"after": "-1"}, {"after": "9" * 20}])
    def test_bad_cursor_is_400(self, as_user, john, query):
        assert as_user(john).get(POLL, query).status_code == 400

    def test_needs_login(self, client):
        response = client.get(POLL, {"after": 0}, HTTP_HX_REQUEST="true")
        assert response.status_code == 204 and "HX-Redirect" in response

    def test_team_is_refused(self, as_user, mike):
        assert as_user(mike).get(POLL, {"after": 0}).status_code == 403

    def test_wrong_method(self, as_user, john):
        assert as_user(john).post(POLL, {"after": 0}).status_code == 405


@pytest.mark.django_db
def test_rate_limited_send_is_429_with_the_reason(as_user, john, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 2
    client = as_user(john)
    assert send(client, "one", **HTMX).status_code == 204
    assert send(client, "two", **HTMX).status_code == 204
    response = send(client, "three", **HTMX)
    assert response.status_code == 429 and b"Too many messages" in response.content
    assert response["Retry-After"] == "60"
    assert Message.objects.count() == 2
