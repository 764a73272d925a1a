"""The page side of live updates (static/js/app.js) in a real Chromium, with the stream
replaced by a stand-in the test drives: which polls an event makes the page fire, the
timer slowing down to the safety poll while the stream is healthy and coming back when it
is refused, "bye", and a poll dropped by hx-sync being asked again. Any database: no live
process runs here (test_live_chat.py runs the real one on MariaDB)."""

import json
import re
import time

import pytest
from playwright.sync_api import expect

from conversations.services import conversation_assign, conversation_post_message
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TIMER = 5.0  # the thread poller's `every 5s`

# Installed before the page's own scripts (Playwright init scripts are not subject to the
# page's CSP). window.__sources holds every stream the page opened.
FAKE_EVENT_SOURCE = """
(function () {
  window.__sources = [];
  function FakeEventSource(url, options) {
    var target = new EventTarget();
    target.url = url;
    target.withCredentials = !!(options && options.withCredentials);
    target.readyState = 0;
    target.close = function () { target.readyState = 2; };
    window.__sources.push(target);
    return target;
  }
  FakeEventSource.CONNECTING = 0; FakeEventSource.OPEN = 1; FakeEventSource.CLOSED = 2;
  window.EventSource = FakeEventSource;
  window.__stream = function (action, type, data) {
    var s = window.__sources[window.__sources.length - 1];
    if (action === "open") { s.readyState = 1; s.dispatchEvent(new Event("open")); }
    if (action === "event") { s.dispatchEvent(new MessageEvent(type, { data: data })); }
    if (action === "refuse") { s.readyState = 2; s.dispatchEvent(new Event("error")); }
  };
})();
"""


@pytest.fixture
def live_settings(settings):
    settings.LIVE_URL = "/live/stream"
    settings.LIVE_SAFETY_POLL_SECONDS = 120
    return settings


class Polls:
    """The poll requests a page makes to URLs matching a pattern, with their times."""

    def __init__(self, page, pattern):
        self.page = page
        self.pattern = re.compile(pattern)
        self.times = []
        page.on("request", lambda request: self.pattern.search(request.url) and self.times.append(time.monotonic()))

    def count(self):
        return len(self.times)

    def wait_for(self, count, timeout=2.0):
        """Wait (dispatching Playwright's events) until at least `count` polls were made."""
        deadline = time.monotonic() + timeout
        while self.count() < count and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        return self.count() >= count


def stream(page, action, type_=None, data=None):
    page.evaluate("([a, t, d]) => window.__stream(a, t, d)", [action, type_, json.dumps(data or {})])


def open_page(sign_in, user, path=None):
    person = sign_in(user, PASSWORD)
    person.page.add_init_script(FAKE_EVENT_SOURCE)
    person.page.goto(path or person.page.url)
    return person.page


def test_customer_chat_follows_the_stream(live_settings, sign_in, john, sarah, admin_user, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    chat = open_page(sign_in, john, "/portal/chat/")
    polls = Polls(chat, r"/portal/chat/messages/\?after=")
    source = chat.evaluate("({url: __sources[0].url, creds: __sources[0].withCredentials, n: __sources.length})")
    assert source == {"url": "/live/stream", "creds": True, "n": 1}
    assert chat.evaluate("document.body.dataset.liveSafetyPoll") == "120"

    # "ready": one catch-up poll for whatever changed between the page's render and now.
    stream(chat, "open")
    stream(chat, "event", "ready")
    assert polls.wait_for(1, timeout=1.0), "ready did not make the page poll"

    # Healthy stream: the 5 s timer is held back (safety poll: 120 s).
    chat.wait_for_timeout((TIMER + 1.5) * 1000)
    assert polls.count() == 1, f"timer polls went out while the stream was healthy: {polls.count()}"

    # A change to this conversation: the page polls at once and shows the message.
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Live hello from Sarah")
    stream(chat, "event", "conversation", {"id": johns_conversation.pk, "seq": 1, "stamp": "x"})
    expect(chat.locator("#messages")).to_contain_text("Live hello from Sarah", timeout=1_500)
    assert polls.count() == 2

    # "resync" (a reconnect with Last-Event-ID): poll at once.
    stream(chat, "event", "resync")
    assert polls.wait_for(3, timeout=1.0), "resync did not make the page poll"

    # The tab comes back into view (hidden tabs skip their polls): poll at once.
    chat.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    assert polls.wait_for(4, timeout=1.0), "becoming visible did not make the page poll"

    # The stream is refused from now on (401/503: EventSource gives up): back to 5 s polling.
    stream(chat, "refuse")
    assert polls.wait_for(5, timeout=TIMER + 1.5), "the timer did not come back when the stream was refused"
    assert polls.wait_for(6, timeout=TIMER + 1.5)


def test_staff_page_polls_only_for_its_own_conversation(live_settings, sign_in, sarah, admin_user,
                                                        johns_conversation, janes_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=sarah)
    page = open_page(sign_in, sarah, f"/staff/conversations/{johns_conversation.pk}/")
    thread = Polls(page, rf"/staff/conversations/{johns_conversation.pk}/messages/")
    stream(page, "open")
    stream(page, "event", "ready")
    assert thread.wait_for(1, timeout=1.0)

    stream(page, "event", "conversation", {"id": janes_conversation.pk, "seq": 3, "stamp": "x"})
    page.wait_for_timeout(800)
    assert thread.count() == 1, "an event for another conversation made this thread poll"
    stream(page, "event", "conversation", {"id": johns_conversation.pk, "seq": 3, "stamp": "x"})
    assert thread.wait_for(2, timeout=1.0), "an event for this conversation did not make it poll"

    # The list page: any visible change refreshes the list at once (not after its 10 s).
    page.goto("/staff/conversations/")
    rows = Polls(page, r"/staff/conversations/rows/")
    stream(page, "open")
    stream(page, "event", "ready")
    assert rows.wait_for(1, timeout=1.0)
    conversation_post_message(actor=johns_conversation.customer, conversation=johns_conversation,
                              body="A new question for the list")
    stream(page, "event", "conversation", {"id": johns_conversation.pk, "seq": 4, "stamp": "x"})
    expect(page.locator(f"#conv-{johns_conversation.pk}")).to_contain_text("A new question for the list",
                                                                            timeout=1_500)


def test_bye_closes_the_stream_and_polling_resumes(live_settings, sign_in, john, johns_conversation):
    chat = open_page(sign_in, john, "/portal/chat/")
    polls = Polls(chat, r"/portal/chat/messages/")
    stream(chat, "open")
    stream(chat, "event", "ready")
    assert polls.wait_for(1, timeout=1.0)
    stream(chat, "event", "bye")
    assert chat.evaluate("__sources[0].readyState") == 2
    assert polls.wait_for(2, timeout=TIMER + 1.5), "no timer poll after bye"


@pytest.mark.parametrize("first_poll_saw", ["nothing", "an earlier message"])
def test_a_poll_dropped_while_one_is_out_is_asked_again(first_poll_saw, live_settings, sign_in, john, sarah,
                                                         admin_user, johns_conversation):
    """hx-sync="this:drop" drops the poll for the second event while the first is out, and
    that first poll read before the second message committed: it answers 204, or rows with
    a replaced poller (its cursor moved). Without asking again, the second message would wait
    for the 120 s safety poll."""
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    chat = open_page(sign_in, john, "/portal/chat/")
    stream(chat, "open")
    with chat.expect_event("requestfinished", lambda request: "/portal/chat/messages/" in request.url):
        stream(chat, "event", "ready")  # its catch-up poll must be back before the test holds the next
    chat.wait_for_timeout(200)

    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        elif first_poll_saw == "nothing":
            held.append((route, None))
        else:
            held.append((route, route.fetch()))  # the server answers now, before the second message

    chat.route(re.compile(r"/portal/chat/messages/"), hold_the_first)
    if first_poll_saw != "nothing":
        conversation_post_message(actor=sarah, conversation=johns_conversation, body="The first one")
    stream(chat, "event", "conversation", {"id": johns_conversation.pk, "seq": 1, "stamp": "x"})
    deadline = time.monotonic() + 2
    while not held and time.monotonic() < deadline:
        chat.wait_for_timeout(20)
    assert held, "the first event did not make the page poll"

    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Committed while a poll was out")
    stream(chat, "event", "conversation", {"id": johns_conversation.pk, "seq": 2, "stamp": "y"})
    chat.wait_for_timeout(200)
    route, response = held[0]
    if response is None:
        route.fulfill(status=204)
    else:
        route.fulfill(response=response)
        expect(chat.locator("#messages")).to_contain_text("The first one", timeout=1_000)
    expect(chat.locator("#messages")).to_contain_text("Committed while a poll was out", timeout=1_500)


@pytest.mark.parametrize("heartbeat", ["comment", "event"])
def test_a_quiet_stream_counts_as_healthy_only_without_visible_pings(heartbeat, live_settings, sign_in, john,
                                                                     johns_conversation):
    """Comment-line pings (": ping") never reach JavaScript: an open stream stays healthy
    however quiet. A stream that sends `event: ping` and then goes quiet 30 s is taken for
    dead (a laptop woke up on a half-open connection): polls resume and it is reopened.
    The page's clock is Playwright's, so a minute passes in a moment."""
    person = sign_in(john, PASSWORD)
    chat = person.page
    chat.add_init_script(FAKE_EVENT_SOURCE)
    chat.clock.install()
    chat.goto("/portal/chat/")
    polls = Polls(chat, r"/portal/chat/messages/")
    stream(chat, "open")
    if heartbeat == "event":
        stream(chat, "event", "ping")
    # The catch-up poll must be back before the clock jumps: while it is out, hx-sync drops
    # every timer poll the jump fires.
    with chat.expect_event("requestfinished", lambda request: "/portal/chat/messages/" in request.url):
        stream(chat, "event", "ready")
    chat.wait_for_timeout(200)
    assert polls.count() == 1

    # 50 s without a sign of life: 10 timer ticks, and the 15 s stream check has run past 30 s.
    chat.clock.run_for(50_000)
    polls.wait_for(2, timeout=1.0)
    if heartbeat == "comment":
        assert polls.count() == 1, "a quiet but open stream was taken for dead"
        assert chat.evaluate("__sources.length") == 1
    else:
        assert polls.count() >= 2, "a stream silent past 2 x heartbeat still held the timer back"
        assert chat.evaluate("__sources.length") == 2, "the quiet stream was not reopened"


def test_an_event_while_the_poller_is_being_replaced_is_not_lost(live_settings, sign_in, john, sarah, admin_user,
                                                                  johns_conversation):
    """A poll that brings rows replaces the poller, and htmx wires up the replacement only when
    it settles (20 ms later): an event fired in between reaches no poller. It must wait for
    the replacement, not for the 120 s safety poll."""
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    chat = open_page(sign_in, john, "/portal/chat/")
    stream(chat, "open")
    with chat.expect_event("requestfinished", lambda request: "/portal/chat/messages/" in request.url):
        stream(chat, "event", "ready")
    chat.wait_for_timeout(200)

    held = []
    chat.route(re.compile(r"/portal/chat/messages/"),
               lambda route: route.continue_() if held else held.append((route, route.fetch())))
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="The first one")
    stream(chat, "event", "conversation", {"id": johns_conversation.pk, "seq": 1, "stamp": "x"})
    deadline = time.monotonic() + 2
    while not held and time.monotonic() < deadline:
        chat.wait_for_timeout(20)
    assert held, "the first event did not make the page poll"
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Sent during the swap")
    # The stream's event for it lands exactly while the old poller is gone and the new one
    # is not listening yet.
    chat.evaluate("""id => document.addEventListener("htmx:afterRequest", function once(event) {
        document.removeEventListener("htmx:afterRequest", once);
        window.__stream("event", "conversation", JSON.stringify({id: id, seq: 2, stamp: "y"}));
    })""", johns_conversation.pk)
    route, response = held[0]
    route.fulfill(response=response)
    expect(chat.locator("#messages")).to_contain_text("The first one", timeout=1_000)
    expect(chat.locator("#messages")).to_contain_text("Sent during the swap", timeout=1_500)
