"""Snooze in Chromium (issue 14): the panel's presets and chosen time swap the panel in
place, say until when, and Unsnooze ends it; a bad time shows the reason; the list row
says "snoozed until"."""

import os

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation, Status
from conversations.services import conversation_assign, conversation_post_message
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SNOOZE_SCREENSHOTS")  # a folder: save the page at phone and desktop widths


@pytest.fixture(autouse=True)
def no_stream(settings):
    settings.LIVE_URL = ""  # live_server serves WSGI, where the stream answers 503


@pytest.mark.parametrize("width", [390, 1280])
def test_snooze_from_the_panel(sign_in, admin_user, sarah, john, johns_conversation, width):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Waiting on my invoice")
    person = sign_in(sarah, PASSWORD, width=width, timezone_id="Asia/Tokyo", locale="en-US")
    page = person.page
    page.goto(f"/staff/conversations/{johns_conversation.pk}/")

    page.locator("summary", has_text="Snooze").click()
    page.get_by_label("Until a chosen time").fill("2001-01-01T09:00")
    page.get_by_role("button", name="Snooze", exact=True).click()
    expect(page.get_by_text("The snooze must end in the future.")).to_be_visible()
    assert Conversation.objects.get().snoozed_until is None

    page.get_by_role("button", name="Tomorrow 9:00").click()
    note = page.locator("[data-snoozed]")
    expect(note).to_contain_text("Snoozed until")
    # app.js shows it in the browser's zone (Tokyo): 09:00 AM.
    expect(note.locator("time")).to_contain_text("09:00 AM")
    assert Conversation.objects.get().status == Status.PENDING
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/snooze-panel-{width}.png", full_page=True)

    page.goto("/staff/conversations/")
    expect(page.locator(".snoozed-tag")).to_contain_text("snoozed until")
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/snooze-list-{width}.png", full_page=True)

    page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    page.get_by_role("button", name="Unsnooze").click()
    expect(page.locator("[data-snoozed]")).to_have_count(0)
    c = Conversation.objects.get()
    assert (c.status, c.snoozed_until) == (Status.OPEN, None)
    assert person.csp_violations() == []
