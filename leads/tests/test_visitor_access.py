"""What a visitor's cookie opens (issue 12; SECURITY_CASES 36): exactly one conversation's
participant view, decided by Conversation.objects.for_visitor; nothing once it is
closed, converted or moved to a customer; nothing for a forged or another cookie."""

import pytest
from django.core import signing

from conversations.models import Conversation, Message, Source, Status
from conversations.services import (
    conversation_assign,
    conversation_post_message,
    conversation_set_status,
    conversation_start_for_lead,
)
from leads.models import LeadStatus, VisitorPass
from leads.visitor import VISITOR_COOKIE_NAME, VISITOR_COOKIE_SALT, visitor_pass_issue
from tests.factories import CustomerFactory, LeadFactory

from .visitors import PAGE, POLL, SEND, contact, cookie_of

pytestmark = pytest.mark.django_db
MESSAGE = {"body": "A follow-up from the visitor", "client_token": "3f1d8b1a-2c4e-4a5e-9d6f-0b7d3b9e8e0c"}


@pytest.fixture
def visitor(client):
    """A browser that started a conversation from /contact/ (its cookie is in the client)."""
    response = contact(client, body="Hello from Vera")
    assert response.status_code == 302
    client.conversation = Conversation.objects.get(lead__email="vera@visitor.test")
    client.token = cookie_of(response)
    return client


def browser_with(token):
    from django.test import Client

    client = Client()
    if token is not None:
        client.cookies[VISITOR_COOKIE_NAME] = token
    return client


def opens(client) -> bool:
    """Does this browser reach the conversation? Page, poll and send all agree (each asked)."""
    page = client.get(PAGE)
    poll = client.get(POLL, {"after": 0})
    before = Message.objects.count()
    send = client.post(SEND, MESSAGE)
    if b'id="composer"' in page.content:
        assert poll.status_code == 200 and send.status_code == 302
        return True
    assert b"Chat with us" in page.content  # the form, not a chat
    assert poll.status_code == 204 and poll.content == b""
    assert send.status_code == 404
    assert Message.objects.count() == before
    return False


def test_the_cookie_opens_its_conversation_and_the_visitor_writes_as_the_lead(visitor, admin_user, sarah):
    conversation = visitor.conversation
    conversation_assign(actor=admin_user, conversation=conversation, assignee=sarah)
    conversation_post_message(actor=sarah, conversation=conversation, body="Hi Vera, Sarah here")
    page = visitor.get(PAGE).content.decode()
    assert "Hello from Vera" in page and "Hi Vera, Sarah here" in page
    assert "Sarah Johnson from the support team is looking after you." in page
    response = visitor.post(SEND, MESSAGE, HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Trigger"] == "messages-changed"
    message = conversation.messages.order_by("-seq").first()
    assert (message.body, message.sender_id, message.from_participant) == (MESSAGE["body"], None, True)
    # Opening the chat marked the team's reply read (the visitor is the participant).
    assert conversation.messages.get(body="Hi Vera, Sarah here").read_at is not None


def test_the_poll_returns_only_new_messages_of_its_conversation(visitor, admin_user):
    other = conversation_start_for_lead(actor=None, lead=LeadFactory(email="someone@else.test"))
    conversation_post_message(actor=None, conversation=other, body="Someone else's secret")
    conversation_post_message(actor=admin_user, conversation=visitor.conversation, body="A reply for Vera")
    response = visitor.get(POLL, {"after": 1})
    assert response.status_code == 200
    html = response.content.decode()
    assert "A reply for Vera" in html and "Hello from Vera" not in html and "Someone else" not in html
    assert visitor.get(POLL, {"after": 2}).status_code == 204
    assert visitor.get(POLL, {"after": "x"}).status_code == 400


def test_no_cookie_a_forged_cookie_or_another_conversations_key_open_nothing(visitor):
    other = conversation_start_for_lead(actor=None, lead=LeadFactory(email="other@visitor.test"))
    other_token = visitor_pass_issue(conversation=other)
    other_key = signing.loads(other_token, salt=VISITOR_COOKIE_SALT)["k"]
    own_key = signing.loads(visitor.token, salt=VISITOR_COOKIE_SALT)["k"]
    forged = [
        None,
        "garbage",
        visitor.token[:-3] + "abc",  # a damaged signature
        signing.dumps({"c": visitor.conversation.pk, "k": own_key}, salt="another.salt", compress=True),
        signing.dumps({"c": visitor.conversation.pk, "k": other_key}, salt=VISITOR_COOKIE_SALT, compress=True),
        signing.dumps({"c": other.pk, "k": own_key}, salt=VISITOR_COOKIE_SALT, compress=True),
        signing.dumps({"c": str(visitor.conversation.pk), "k": own_key}, salt=VISITOR_COOKIE_SALT),
    ]
    for token in forged:
        assert not opens(browser_with(token)), token
    # The other conversation's own cookie opens the other one only.
    assert Conversation.objects.for_visitor(other_token).get() == other
    assert list(Conversation.objects.for_visitor(visitor.token)) == [visitor.conversation]


def test_closing_the_conversation_revokes_the_cookie_for_good(visitor, admin_user):
    assert opens(browser_with(visitor.token))
    conversation_set_status(actor=admin_user, conversation=visitor.conversation, status=Status.CLOSED)
    assert not opens(browser_with(visitor.token))
    page = visitor.get(PAGE)
    assert b"closed or no longer available" in page.content
    assert page.cookies[VISITOR_COOKIE_NAME].value == ""  # the browser forgets it
    # Reopened by the team: the old cookie (a copy of it) still opens nothing.
    conversation_set_status(actor=admin_user, conversation=visitor.conversation, status=Status.OPEN)
    assert not opens(browser_with(visitor.token))


def test_a_resolved_conversation_stays_open_to_its_visitor_who_may_reopen_it(visitor, admin_user):
    conversation_set_status(actor=admin_user, conversation=visitor.conversation, status=Status.RESOLVED)
    assert opens(browser_with(visitor.token))
    visitor.conversation.refresh_from_db()
    assert visitor.conversation.status == Status.OPEN  # the visitor's message reopened it


def test_a_conversation_moved_to_a_customer_opens_nothing(visitor):
    """Simulates the lead -> customer conversion (another branch) by the ORM update it makes."""
    customer = CustomerFactory(email="vera@visitor.test")
    Conversation.objects.filter(pk=visitor.conversation.pk).update(source=Source.CUSTOMER, customer=customer, lead=None)
    assert not opens(browser_with(visitor.token))


def test_a_converted_lead_opens_nothing(visitor):
    visitor.conversation.lead.__class__.objects.filter(pk=visitor.conversation.lead_id).update(
        status=LeadStatus.CONVERTED)
    assert not opens(browser_with(visitor.token))


def test_an_expired_cookie_opens_nothing(visitor, settings, monkeypatch):
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 91 * 24 * 3600)
    assert Conversation.objects.for_visitor(visitor.token).count() == 0


def test_a_second_browser_starting_again_rotates_nothing_and_sees_nothing(visitor, client):
    """Typing the same email elsewhere adds a message but opens no history there."""
    from django.test import Client

    stranger = Client()
    response = contact(stranger, body="Let me in", address="198.51.100.77")
    assert response.status_code == 200 and b"Please sign in, or check your email" in response.content
    assert b"Hello from Vera" not in response.content
    assert not opens(stranger)
    assert opens(browser_with(visitor.token))  # the first browser keeps its conversation


def test_the_visitor_sees_no_team_only_content(visitor, admin_user, sarah):
    lead = visitor.conversation.lead
    lead.notes = "TEAM NOTE: big budget"
    lead.save()
    conversation_assign(actor=admin_user, conversation=visitor.conversation, assignee=sarah)
    html = visitor.get(PAGE).content.decode()
    for secret in ("TEAM NOTE", "sarah@designpi.test", "Assign to", "Priority", "Snooze", "Insert reply",
                   "/staff/", "/admin/"):
        assert secret not in html, secret


def test_the_cookie_opens_none_of_the_apis_team_routes_nor_the_lists(visitor):
    conversation = visitor.conversation
    for path in ("/api/admin/conversations", "/api/staff/conversations", "/api/portal/conversation",
                 f"/api/conversations/{conversation.pk}/messages"):
        assert visitor.get(path).status_code == 401, path
    for path in ("/portal/chat/", "/staff/conversations/", "/admin/conversations/",
                 f"/admin/conversations/{conversation.pk}/"):
        assert visitor.get(path).status_code == 302, path  # to the sign-in page


def test_the_chat_page_opens_the_live_stream_and_the_form_page_does_not(visitor, settings):
    assert b'data-live-url="/live/stream"' in visitor.get(PAGE).content
    assert b"data-live-url" not in browser_with(None).get(PAGE).content


@pytest.mark.parametrize("messages", [3, 30])
def test_query_counts_of_the_chat_page_and_the_poll(visitor, messages, admin_user, django_assert_num_queries):
    for n in range(messages):
        conversation_post_message(actor=admin_user, conversation=visitor.conversation, body=f"Reply {n}")
    visitor.get(PAGE)  # marks them read
    last = visitor.conversation.messages.count()
    # 1 the conversation through for_visitor (with its lead and assignee), 2 the messages
    with django_assert_num_queries(2):
        assert visitor.get(PAGE).status_code == 200
    # 1 the conversation through for_visitor: an idle poll ends there
    with django_assert_num_queries(1):
        assert visitor.get(POLL, {"after": last}).status_code == 204
    # 1 the conversation, 2 the new rows
    with django_assert_num_queries(2):
        assert visitor.get(POLL, {"after": 1}).status_code == 200


def test_a_message_flood_from_the_visitor_is_refused_with_nothing_written(visitor, settings):
    settings.VISITOR_MESSAGE_LIMIT_PER_MINUTE = 2
    for n in range(2):
        token = f"3f1d8b1a-2c4e-4a5e-9d6f-0b7d3b9e8e0{n}"
        assert visitor.post(SEND, {**MESSAGE, "client_token": token}).status_code == 302
    before = Message.objects.count()
    response = visitor.post(SEND, {**MESSAGE, "client_token": "3f1d8b1a-2c4e-4a5e-9d6f-0b7d3b9e8e0f"},
                            HTTP_HX_REQUEST="true")
    assert response.status_code == 429 and b"Too many messages" in response.content
    assert response["Retry-After"] == "60"
    assert Message.objects.count() == before


def test_the_message_limit_per_email_holds_across_addresses(visitor, settings):
    settings.VISITOR_MESSAGE_LIMIT_PER_MINUTE = 2
    for n in range(2):
        assert visitor.post(SEND, {**MESSAGE, "client_token": f"3f1d8b1a-2c4e-4a5e-9d6f-0b7d3b9e8e1{n}"},
                            REMOTE_ADDR=f"198.51.100.{n + 1}").status_code == 302
    before = Message.objects.count()
    response = visitor.post(SEND, {**MESSAGE, "client_token": "3f1d8b1a-2c4e-4a5e-9d6f-0b7d3b9e8e1f"},
                            REMOTE_ADDR="198.51.100.99")
    assert response.status_code == 429 and b"for this email address" in response.content
    assert Message.objects.count() == before


def test_a_bad_message_is_a_400_with_the_reason(visitor):
    before = Message.objects.count()
    response = visitor.post(SEND, {**MESSAGE, "body": "x" * 5001}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and b"at most 5,000 characters" in response.content
    assert Message.objects.count() == before


def test_a_cross_site_send_is_refused(visitor):
    before = Message.objects.count()
    assert visitor.post(SEND, MESSAGE, HTTP_ORIGIN="https://evil.example").status_code == 403
    assert Message.objects.count() == before


def test_the_pass_stores_only_a_hash_of_the_key(visitor):
    key = signing.loads(visitor.token, salt=VISITOR_COOKIE_SALT)["k"]
    stored = VisitorPass.objects.get(conversation=visitor.conversation).key_hash
    assert key not in stored and len(stored) == 64


def test_in_the_widget_the_answers_come_back_to_the_widget_page(visitor):
    response = visitor.post(SEND + "?embedded=1", MESSAGE)
    assert response.status_code == 302 and response["Location"] == "/contact/widget/"
    response = visitor.post("/contact/continue/", {"embedded": "1"})
    assert response.status_code == 302 and response["Location"] == "/contact/widget/?sent=1"
    page = visitor.get(response["Location"])
    assert b"We emailed you a link" in page.content and b'name="embedded" value="1"' in page.content


def test_someone_signed_in_is_only_the_visitor_on_the_contact_chat(visitor, admin_user):
    """An admin (or anyone) with a visitor cookie writes and reads as the lead there, never
    as their account: the thread's reader is decided by the view, not by the session."""
    visitor.force_login(admin_user)
    conversation_post_message(actor=admin_user, conversation=visitor.conversation, body="A team reply")
    assert visitor.post(SEND, MESSAGE).status_code == 302
    message = visitor.conversation.messages.order_by("-seq").first()
    assert (message.sender_id, message.from_participant) == (None, True)
    html = visitor.get(PAGE).content.decode()
    assert "Assign to" not in html and 'class="msg msg-theirs msg-team"' in html
    assert visitor.conversation.messages.get(body="A team reply").read_at is not None  # read by the visitor


def test_make_customer_revokes_the_visitor_cookie_through_the_real_conversion(visitor, admin_user):
    """The conversion service (leads.services) and the visitor rule (leads.visitor) meet:
    once the lead is a customer, the copied cookie opens nothing, neither the converted
    conversation nor another of the lead's conversations; the new customer reads it in the
    portal instead."""
    from leads.services import lead_convert_to_customer

    conversation = visitor.conversation
    lead = conversation.lead
    other = Conversation.objects.create(lead=lead, source=Source.LEAD)
    other_pass_token = visitor_pass_issue(conversation=other)
    assert opens(browser_with(visitor.token))
    assert Conversation.objects.for_visitor(other_pass_token).exists()

    lead_convert_to_customer(actor=admin_user, lead=lead, conversation=conversation)

    assert not opens(browser_with(visitor.token))
    assert not Conversation.objects.for_visitor(visitor.token).exists()
    assert not Conversation.objects.for_visitor(other_pass_token).exists()  # a lead thread, but the lead converted
    conversation.refresh_from_db()
    assert conversation.source == Source.CUSTOMER and conversation.customer.email == "vera@visitor.test"
