"""Times in the reader's zone (issue 15, part 2, the page side), in Chromium set to
Asia/Tokyo: a message stamped 05:06 UTC shows as 14:06 the same day, exact in the thread
and on hover; list rows say how long ago ("5 min ago"), with the exact Tokyo time on hover."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conversations.models import Conversation, Message
from conversations.services import conversation_assign, conversation_post_message
from tests.factories import bulk_messages
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOKYO = {"timezone_id": "Asia/Tokyo", "locale": "en-US"}


@pytest.fixture(autouse=True)
def no_stream(settings):
    settings.LIVE_URL = ""  # live_server serves WSGI, where the stream answers 503


def test_a_message_time_shows_in_tokyo_time(sign_in, admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    bulk_messages(johns_conversation, 1, customer=john, team_member=sarah,
                  start=datetime(2026, 1, 15, 5, 6, tzinfo=UTC))  # 14:06 in Tokyo (UTC+9)
    person = sign_in(sarah, PASSWORD, **TOKYO)
    page = person.page
    page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    time = page.locator("#msg-1 time")
    expect(time).to_have_text("Jan 15, 02:06 PM")
    expect(time).to_have_attribute("title", re.compile(r"Jan 15, 2026.*02:06 PM GMT\+9"))
    # The server's own text (before the script) is UTC: the browser's zone is what changed it.
    assert "05:06" in page.evaluate("document.querySelector('#msg-1 time').getAttribute('datetime')")


def test_list_rows_say_how_long_ago_with_the_exact_time_on_hover(sign_in, admin_user, sarah, john,
                                                                  johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Five minutes ago")
    at = timezone.now() - timedelta(minutes=5)
    Message.objects.filter(conversation=johns_conversation).update(created_at=at)
    Conversation.objects.filter(pk=johns_conversation.pk).update(last_message_at=at)
    person = sign_in(sarah, PASSWORD, **TOKYO)
    page = person.page
    page.goto("/staff/conversations/")
    time = page.locator(f"#conv-{johns_conversation.pk} time")
    expect(time).to_have_text(re.compile(r"^5 min\.? ago$"))
    tokyo = at.astimezone(UTC) + timedelta(hours=9)
    expect(time).to_have_attribute("title", re.compile(
        rf"{tokyo:%b} {tokyo.day}, {tokyo:%Y}.*{tokyo:%I:%M} {tokyo:%p} GMT\+9"))
    page.screenshot(path="/tmp/shots_history/inbox-relative-desktop.png")
    phone = sign_in(sarah, PASSWORD, width=390, height=800, **TOKYO)
    phone.page.goto("/staff/conversations/")
    expect(phone.page.locator(f"#conv-{johns_conversation.pk} time")).to_have_text(re.compile(r"ago$"))
    phone.page.screenshot(path="/tmp/shots_history/inbox-relative-phone.png")
    assert person.errors == [] and phone.errors == []
