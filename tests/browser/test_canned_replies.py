"""Saved replies in a real Chromium (issue 14): "/" in the empty message box opens the
picker, typing filters it, the keyboard inserts the filled-in text, Enter sends it, and
the message shows as plain text (a template-looking body and a <script> customer name
come out literally)."""

import os

import pytest
from playwright.sync_api import expect

from conversations.models import Message
from conversations.services import conversation_assign
from replies.services import canned_reply_create
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR")


@pytest.fixture(autouse=True)
def no_stream(settings):
    settings.LIVE_URL = ""


@pytest.mark.parametrize("width", [1280, 390])
def test_slash_opens_the_picker_filter_insert_with_the_keyboard_and_send(sign_in, admin_user, sarah, john,
                                                                         johns_conversation, width):
    john.name = "<script>window.pwned=1</script> Doe"
    john.save()
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    canned_reply_create(actor=None, title="Greeting", body="Hello {customer.first_name}, {agent.first_name} here.",
                        shared=True)
    canned_reply_create(actor=None, title="Refund policy", body="{{ 7|add:1 }} {% now 'Y' %} — {company}, {agent.first_name}",
                        shared=True)
    canned_reply_create(actor=sarah, title="Sign-off", body="Cheers, {agent.first_name}")

    person = sign_in(sarah, PASSWORD, width=width)
    page = person.page
    page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    box = page.get_by_label("Message", exact=True)
    box.click()
    box.press("/")
    combo = page.get_by_role("combobox", name="Find a saved reply")
    options = page.get_by_role("listbox", name="Saved replies")
    expect(combo).to_be_focused()
    expect(options.get_by_role("option")).to_have_count(3)
    assert box.input_value() == ""  # the "/" opened the picker instead of being typed
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/picker-{width}.png")

    combo.press_sequentially("refund")
    expect(options.get_by_role("option")).to_have_count(1)
    combo.press("ArrowDown")  # wraps around the single option: still that one
    expect(options.get_by_role("option", selected=True)).to_contain_text("Refund policy")
    combo.press("Enter")
    expect(combo).to_be_hidden()
    expect(box).to_be_focused()
    assert box.input_value() == "{{ 7|add:1 }} {% now 'Y' %} — DesignPi, Sarah"

    box.press("Enter")  # sends, like any message
    expect(page.locator("#messages .msg-body").last).to_have_text("{{ 7|add:1 }} {% now 'Y' %} — DesignPi, Sarah")
    assert Message.objects.filter(body="{{ 7|add:1 }} {% now 'Y' %} — DesignPi, Sarah").exists()

    # The button opens it too; Escape closes it and gives the box its focus back.
    page.get_by_role("button", name="Insert reply").click()
    expect(options.get_by_role("option")).to_have_count(3)
    combo.press_sequentially("gree")
    combo.press("Enter")
    assert box.input_value() == "Hello <script>window.pwned=1</script>, Sarah here."
    box.press("Enter")
    expect(page.locator("#messages .msg-body").last).to_have_text("Hello <script>window.pwned=1</script>, Sarah here.")
    assert page.evaluate("window.pwned") is None  # shown as text, never run

    box.press("/")
    expect(combo).to_be_focused()
    combo.press("Escape")
    expect(combo).to_be_hidden()
    expect(box).to_be_focused()
    assert person.errors == []


@pytest.mark.parametrize("width", [1280, 390])
def test_the_replies_page(sign_in, admin_user, sarah, width):
    canned_reply_create(actor=None, title="Greeting", body="Hello {customer.first_name}", shared=True)
    canned_reply_create(actor=sarah, title="Sign-off", body="Cheers, {agent.first_name}")
    person = sign_in(sarah, PASSWORD, width=width)
    page = person.page
    page.goto("/staff/replies/")
    page.get_by_label("Title").fill("Follow-up")
    page.get_by_label("Text").fill("Any news, {customer.first_name}?")
    page.get_by_role("button", name="Save reply").click()
    expect(page.locator(".reply-row")).to_have_count(3)
    expect(page.get_by_role("link", name="Edit Greeting")).to_have_count(0)  # staff: shared is read-only
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/replies-page-{width}.png", full_page=True)
    assert person.errors == []
