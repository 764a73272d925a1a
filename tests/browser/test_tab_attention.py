"""The tab tells you, and reads move the lists (issue 15, parts 3 and 4), in real Chromium:
the title's count and the favicon's dot follow new messages and reads; a desktop
notification (permission granted to the browser context) comes only while the page is
not in front, once per conversation, with no message text; the button asks for the
permission, nothing asks on load; a read in one browser clears the badge in another
within one list poll.

Playwright cannot send a headless page to the background, so these tests set
document.visibilityState themselves (an init script) and fire visibilitychange, which
is what the browser does; the notifications are the browser's real Notification
objects, recorded as they are made."""

import re

import pytest
from playwright.sync_api import expect

from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)
from tests.factories import CustomerFactory
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST_POLL_WAIT = 14_000  # lists poll every 10 s

RECORD = """
(() => {
  let visibility = 'visible';
  Object.defineProperty(Document.prototype, 'visibilityState', { get() { return visibility; }, configurable: true });
  Object.defineProperty(Document.prototype, 'hidden', { get() { return visibility !== 'visible'; }, configurable: true });
  window.__setVisibility = (value) => { visibility = value; document.dispatchEvent(new Event('visibilitychange')); };
  window.__notes = [];
  const Real = window.Notification;
  if (Real) {
    window.Notification = class extends Real {
      constructor(title, options) { super(title, options); window.__notes.push({ title, body: options.body, tag: options.tag }); }
    };
  }
})();
"""


@pytest.fixture(autouse=True)
def no_stream(settings):
    # live_server serves WSGI, where the stream answers 503: the pages poll instead.
    settings.LIVE_URL = ""


def grant_and_record(person, live_server):
    person.context.grant_permissions(["notifications"], origin=live_server.url)
    person.context.add_init_script(RECORD)


def test_title_count_icon_dot_and_one_notification_per_conversation(
        sign_in, live_server, admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    other = CustomerFactory(name="Ola Other")
    others, _ = conversation_get_or_create_for_customer(customer=other)
    conversation_assign(actor=admin_user, conversation=others, assignee=sarah)

    person = sign_in(sarah, PASSWORD)
    grant_and_record(person, live_server)
    page = person.page
    page.goto("/staff/conversations/")
    expect(page).to_have_title(re.compile(r"^My conversations"))
    expect(page.get_by_role("button", name="Turn on desktop notifications")).to_be_hidden()  # already granted

    # In front: John writes; the inbox's next poll brings the count, the dot, no notification.
    conversation_post_message(actor=john, conversation=johns_conversation, body="Top secret invoice words")
    expect(page).to_have_title(re.compile(r"^\(1\) My conversations"), timeout=LIST_POLL_WAIT)
    expect(page.locator("link[rel~='icon']")).to_have_attribute("href", re.compile(r"^data:image/png"))
    assert page.evaluate("window.__notes") == []

    # In the background: Ola writes; going to the background asks at once (the timer would, in 15 s).
    conversation_post_message(actor=other, conversation=others, body="Another private question")
    page.evaluate("window.__setVisibility('hidden')")
    expect(page).to_have_title(re.compile(r"^\(2\) My conversations"))
    notes = page.evaluate("window.__notes")
    assert notes == [{"title": f"New message in conversation #{others.pk}",
                      "body": "DesignPi Support: open the conversation to read it.",
                      "tag": f"designpi-conversation-{others.pk}"}]
    # Ola writes again before Sarah reads: no second notification for the same conversation.
    conversation_post_message(actor=other, conversation=others, body="Hello?")
    with page.expect_response(lambda response: "/staff/attention/" in response.url):
        page.evaluate("window.__setVisibility('hidden')")
    page.wait_for_timeout(300)
    assert len(page.evaluate("window.__notes")) == 1
    assert "secret" not in str(page.evaluate("window.__notes")) and "private" not in str(page.evaluate("window.__notes"))

    # Sarah reads Ola's conversation: the count goes down, the icon keeps its dot for John's.
    page.evaluate("window.__setVisibility('visible')")
    page.goto(f"/staff/conversations/{others.pk}/")
    expect(page).to_have_title(re.compile(r"^\(1\) Ola Other"))
    page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    expect(page).to_have_title(re.compile(r"^John Doe"))
    expect(page.locator("link[rel~='icon']")).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    page.screenshot(path="/tmp/shots_history/thread-desktop.png")
    assert person.errors == []


def test_the_button_asks_and_nothing_asks_on_load(sign_in, live_server, john, sarah, admin_user, johns_conversation):
    person = sign_in(john, PASSWORD)
    page = person.page
    page.goto("/portal/chat/")
    button = page.get_by_role("button", name="Turn on desktop notifications")
    expect(button).to_be_visible()
    assert page.evaluate("Notification.permission") == "default"  # not asked on load
    page.screenshot(path="/tmp/shots_history/chat-button-desktop.png")
    person.context.grant_permissions(["notifications"], origin=live_server.url)
    button.click()
    expect(button).to_be_hidden()
    phone = sign_in(john, PASSWORD, width=390, height=800)
    phone.page.goto("/portal/chat/")
    expect(phone.page.get_by_role("button", name="Turn on desktop notifications")).to_be_hidden()
    phone.page.screenshot(path="/tmp/shots_history/chat-phone.png")


def test_customer_title_counts_unread_replies(sign_in, live_server, john, sarah, admin_user, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    person = sign_in(john, PASSWORD)
    grant_and_record(person, live_server)
    page = person.page
    page.goto("/portal/chat/")
    page.evaluate("window.__setVisibility('hidden')")
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Here is your answer")
    page.evaluate("window.__setVisibility('hidden')")
    expect(page).to_have_title(re.compile(r"^\(1\) Chat with support"))
    assert page.evaluate("window.__notes")[0]["title"] == "New reply from the support team"
    # Back in front: the chat's poll shows the reply, marks it read, and the count goes.
    page.evaluate("window.__setVisibility('visible')")
    expect(page.locator("#messages")).to_contain_text("Here is your answer")
    expect(page).to_have_title(re.compile(r"^Chat with support"))
    assert person.errors == []


def test_a_read_in_one_browser_clears_the_badge_in_another_within_one_poll(
        sign_in, admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Anyone there?")
    admin = sign_in(admin_user, PASSWORD)
    admin.page.goto("/admin/conversations/")
    badge = admin.page.locator(f"#row-{johns_conversation.pk} .badge")
    expect(badge).to_have_text(re.compile(r"^1"))
    staff = sign_in(sarah, PASSWORD)
    expect(staff.page).to_have_title(re.compile(r"^\(1\) "))
    staff.page.goto(f"/staff/conversations/{johns_conversation.pk}/")  # Sarah reads it
    expect(staff.page.locator("#messages")).to_contain_text("Anyone there?")
    expect(badge).to_have_count(0, timeout=LIST_POLL_WAIT)
    assert admin.errors == [] and staff.errors == []
