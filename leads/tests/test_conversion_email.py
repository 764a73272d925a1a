"""Make customer's emails end to end: the invitation goes through the real worker
(`db_worker --batch`) to a real SMTP server (aiosmtpd), its link sets the new customer's
password and opens the portal on the conversation they had as a lead. Notifications
queued before the conversion are judged when they are sent (SECURITY_CASES 35)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conversations.services import conversation_post_message
from tests.smtp import drain_queue, text_of
from tests.smtp import smtp_server as _smtp_server_fixture

smtp_server = _smtp_server_fixture
# The worker runs in this process and closes a connection left inside a transaction:
# these tests commit for real (as accounts/tests/test_invitations.py does).
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"http://mail\.example\.test(/accounts/invitation/[^/\s]+/[^/\s]+/)")
NEW_PASSWORD = "a-long-new-passphrase-42"


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SITE_URL = "http://mail.example.test"
    settings.NOTIFICATION_DELAY_SECONDS = 0


@pytest.fixture
def clean_world(world):
    """The standard world without the emails its own setup queued."""
    from django_tasks_db.models import DBTaskResult

    from notifications.models import QueuedBatch

    DBTaskResult.objects.all().delete()
    QueuedBatch.objects.all().delete()
    return world


def make_customer(client, conversation, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("console:conversation_make_customer", args=[conversation.pk]),
                           {"conversation": conversation.pk})


def test_the_invitation_arrives_and_its_link_opens_the_whole_timeline_in_the_portal(
        clean_world, smtp_server, as_user, django_capture_on_commit_callbacks):
    world = clean_world
    alices = world["alices"]
    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=world["admin"], conversation=alices, body="Hello Alice, how can we help?")
    response = make_customer(as_user(world["admin"]), alices, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:conversation_detail", args=[alices.pk])
    assert smtp_server.messages == []  # the request sent nothing: the worker does

    drain_queue()

    # One email, the invitation (the reply to the lead before was never emailed: no account then).
    (message,) = smtp_server.messages
    assert smtp_server.recipients == [["alice@startup.test"]]
    assert message["Subject"] == "You are invited to DesignPi Support"
    path = LINK.search(text_of(message)).group(1)
    client = Client()
    assert client.get(path).status_code == 200
    response = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal:chat")
    html = client.get(reverse("portal:chat")).content.decode()
    assert "Hello from Alice" in html and "Hello Alice, how can we help?" in html
    alice = User.objects.get(email="alice@startup.test")
    assert alice.check_password(NEW_PASSWORD)


def test_a_notification_queued_before_the_conversion_is_judged_when_it_is_sent(
        clean_world, smtp_server, as_user, django_capture_on_commit_callbacks):
    """Alice wrote as a lead (the admins' unread-messages email is queued, not yet sent);
    then she became a customer. The email still goes to the admins (the conversation is
    unassigned and unread); the new customer gets only her invitation. A team reply after
    the conversion is the customer's to be told about, like any customer's."""
    world = clean_world
    alices = world["alices"]
    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=None, conversation=alices, body="Anyone there?")
    make_customer(as_user(world["admin"]), alices, django_capture_on_commit_callbacks)
    drain_queue()
    by_recipient = {rcpt[0]: message["Subject"] for rcpt, message in zip(smtp_server.recipients, smtp_server.messages)}
    assert by_recipient["alice@startup.test"] == "You are invited to DesignPi Support"
    assert "admin@designpi.test" in by_recipient
    assert "Anyone there?" in text_of(smtp_server.to("admin@designpi.test")[0])
    assert len(smtp_server.messages) == 2

    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=world["admin"], conversation=alices, body="Welcome aboard")
    drain_queue()
    (reply,) = smtp_server.to("alice@startup.test")[1:]
    assert "Welcome aboard" in text_of(reply)
