"""The "continue on another device" link (issue 12; SECURITY_CASES 35, 36): queued by the
request, sent by the real worker through a real SMTP server (the accounts' email
machinery, AccountEmail), single-use, replaced by a newer one, expiring, and dead once
the conversation is closed."""

import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AccountEmail
from conversations.models import Conversation, Status
from conversations.services import conversation_set_status
from tests.smtp import drain_queue, text_of
from tests.smtp import smtp_server as _smtp_server_fixture

from .test_visitor_access import browser_with, opens
from .visitors import PAGE, contact, cookie_of

smtp_server = _smtp_server_fixture
REAL_WORKER = pytest.mark.django_db(transaction=True)
CONTINUE = reverse("contact:continue_request")
LINK = re.compile(r"http://mail\.example\.test(/contact/continue/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://mail.example.test"


def start(django_capture_on_commit_callbacks):
    client = Client()
    response = contact(client, body="Hello from Vera")
    assert response.status_code == 302
    return client, cookie_of(response), Conversation.objects.get()


def ask_for_link(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CONTINUE)
    assert response.status_code == 302 and response["Location"] == PAGE + "?sent=1"


def link_in(message) -> str:
    return LINK.search(text_of(message)).group(1)


@REAL_WORKER
def test_the_link_arrives_by_the_worker_and_moves_the_conversation_to_another_browser(
        smtp_server, django_capture_on_commit_callbacks):
    first, token, conversation = start(django_capture_on_commit_callbacks)
    ask_for_link(first, django_capture_on_commit_callbacks)
    assert smtp_server.messages == []  # the request sent nothing: the worker does
    drain_queue()
    (message,) = smtp_server.messages
    assert smtp_server.recipients == [["vera@visitor.test"]]
    assert message["Subject"] == "Continue your conversation with DesignPi Support"
    assert "Hello from Vera" not in text_of(message) and "Hello from Vera" not in text_of(message, "html")
    path = link_in(message)
    assert AccountEmail.objects.get().state == AccountEmail.State.SENT

    second = Client()
    page = second.get(path)  # a mail scanner's GET spends nothing
    assert page.status_code == 200 and b"Continue here" in page.content
    assert opens(browser_with(token))
    response = second.post(path)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert b"Hello from Vera" in second.get(PAGE).content
    # One browser at a time: the first browser's cookie (and any copy of it) stops working.
    assert not opens(browser_with(token))
    # Single use.
    again = Client().post(path)
    assert again.status_code == 400 and b"does not work any more" in again.content


@REAL_WORKER
def test_a_newer_link_replaces_the_older_one(smtp_server, django_capture_on_commit_callbacks):
    client, _, _ = start(django_capture_on_commit_callbacks)
    ask_for_link(client, django_capture_on_commit_callbacks)
    drain_queue()
    ask_for_link(client, django_capture_on_commit_callbacks)
    drain_queue()
    older, newer = (link_in(m) for m in smtp_server.to("vera@visitor.test"))
    assert Client().post(older).status_code == 400
    assert Client().post(newer).status_code == 302


@REAL_WORKER
def test_the_link_expires(smtp_server, django_capture_on_commit_callbacks, settings, monkeypatch):
    client, _, _ = start(django_capture_on_commit_callbacks)
    ask_for_link(client, django_capture_on_commit_callbacks)
    drain_queue()
    path = link_in(smtp_server.messages[0])
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + settings.VISITOR_CONTINUE_LINK_MAX_AGE_HOURS * 3600 + 5)
    assert Client().post(path).status_code == 400


@REAL_WORKER
def test_closing_the_conversation_kills_a_sent_link_and_skips_a_queued_one(
        smtp_server, django_capture_on_commit_callbacks, admin_user):
    client, _, conversation = start(django_capture_on_commit_callbacks)
    ask_for_link(client, django_capture_on_commit_callbacks)
    drain_queue()
    path = link_in(smtp_server.messages[0])
    ask_for_link(client, django_capture_on_commit_callbacks)  # queued, not yet sent
    conversation_set_status(actor=admin_user, conversation=conversation, status=Status.CLOSED)
    drain_queue()
    assert len(smtp_server.messages) == 1  # the queued one was not sent
    assert AccountEmail.objects.order_by("-pk").first().state == AccountEmail.State.SKIPPED
    assert Client().post(path).status_code == 400


@REAL_WORKER
def test_a_forged_link_is_400(smtp_server):
    assert Client().post(reverse("contact:continue", kwargs={"token": "forged-token"})).status_code == 400


@REAL_WORKER
def test_without_a_cookie_no_link_can_be_asked_for(smtp_server, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert Client().post(CONTINUE).status_code == 404
    drain_queue()
    assert smtp_server.messages == [] and AccountEmail.objects.count() == 0
