"""Internal notes and email (issue 14, SECURITY_CASES 39), end to end through the real
worker and a real SMTP server: a note is never in a customer's email and never makes
one; an @mention emails the teammate (per notify_mentions), judged when it is sent."""

import pytest

from conversations.services import conversation_assign, conversation_post_message
from notifications.models import Kind, Notification, State
from tests.personas import client_for
from tests.smtp import drain_queue, text_of

from .helpers import links_in

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Internal only: refund via the zanzibar account"


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def post(actor, conversation, body, internal=False):
        with django_capture_on_commit_callbacks(execute=True):
            return conversation_post_message(actor=actor, conversation=conversation, body=body, internal=internal)
    return post


def test_a_note_alone_sends_the_customer_nothing(world, smtp_server, post):
    post(world["sarah"], world["johns"], SECRET, internal=True)
    drain_queue()
    assert smtp_server.to("john@example.test") == []
    assert not Notification.objects.filter(kind=Kind.TEAM_REPLIED).exists()


def test_the_customer_email_quotes_replies_never_the_note_between_them(world, smtp_server, post):
    # The world's unread "Hi John, Sarah here", then a note, then another reply.
    post(world["sarah"], world["johns"], SECRET, internal=True)
    post(world["sarah"], world["johns"], "Your refund is on its way")
    drain_queue()
    (email,) = smtp_server.to("john@example.test")
    text, html = text_of(email), text_of(email, "html")
    assert "Your refund is on its way" in text and "Hi John, Sarah here" in text
    assert "zanzibar" not in text and "zanzibar" not in html and "Internal" not in text
    assert email["Subject"] == "The support team replied (2 messages)"


def test_a_mention_emails_the_teammate_with_the_note(world, smtp_server, post):
    note = post(world["admin"], world["johns"], f"@sarah {SECRET}", internal=True)
    drain_queue()
    (email,) = smtp_server.to("sarah@designpi.test")
    assert email["Subject"] == (f"Ada Admin mentioned you in a note (conversation #{world['johns'].pk} "
                                "with John Doe)")
    text = text_of(email)
    assert SECRET in text and "Only the team sees it" in text
    conversation_path, _preferences, unsubscribe_path = links_in(text)
    assert conversation_path == f"/staff/conversations/{world['johns'].pk}/"
    assert smtp_server.to("john@example.test") == []  # and nothing to the customer
    sent = Notification.objects.get(kind=Kind.MENTIONED)
    assert (sent.state, sent.last_seq, sent.recipient) == (State.SENT, note.seq, world["sarah"])
    # Its unsubscribe link turns off mention emails only.
    client_for(None).post(unsubscribe_path)
    world["sarah"].refresh_from_db()
    assert (world["sarah"].notify_mentions, world["sarah"].notify_messages) == (False, True)


def test_no_email_when_the_teammate_turned_mentions_off(world, smtp_server, post):
    world["sarah"].notify_mentions = False
    world["sarah"].save(update_fields=["notify_mentions"])
    post(world["admin"], world["johns"], "@sarah look", internal=True)
    drain_queue()
    assert smtp_server.messages == []
    assert Notification.objects.get(kind=Kind.MENTIONED).reason == "the recipient turned this email off"


def test_the_email_is_judged_when_sent_a_reassignment_meanwhile_sends_nothing(world, smtp_server, post):
    post(world["admin"], world["johns"], f"@sarah {SECRET}", internal=True)
    # Before the worker runs, the conversation goes to Mike: Sarah may no longer read the note.
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
    drain_queue()
    assert smtp_server.to("sarah@designpi.test") == []
    skipped = Notification.objects.get(kind=Kind.MENTIONED)
    assert skipped.state == State.SKIPPED and "may no longer see" in skipped.reason
    # A mention is about one person: it is not handed to the new assignee.
    assert not Notification.objects.filter(kind=Kind.MENTIONED, recipient=world["mike"]).exists()
    assert all("zanzibar" not in text_of(m) for m in smtp_server.messages)


def test_a_deactivated_teammate_gets_no_mention_email(world, smtp_server, post):
    post(world["admin"], world["johns"], "@sarah look", internal=True)
    world["sarah"].is_active = False
    world["sarah"].save(update_fields=["is_active"])
    drain_queue()
    assert smtp_server.messages == []
    assert Notification.objects.get(kind=Kind.MENTIONED).reason == "the recipient's account is inactive"


def test_the_preferences_page_offers_mentions_to_the_team_only(world):
    sarah = client_for(world["sarah"])
    assert "A teammate mentions me in a note" in sarah.get("/notifications/preferences/").content.decode()
    sarah.post("/notifications/preferences/", {"notify_messages": "on", "notify_assigned": "on", "time_zone": ""})
    world["sarah"].refresh_from_db()
    assert world["sarah"].notify_mentions is False
    john = client_for(world["john"])
    assert "mentions me" not in john.get("/notifications/preferences/").content.decode()
