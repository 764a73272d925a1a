"""A customer and a staff member chat in two real Chromium pages with the real live process
beside the pages: every message shows on the other side within 3 s (a loose bound; the
real numbers are bin/bench's), both ways; with the live process stopped, polling still
delivers within ~6 s.

MariaDB only: the live process is a separate process and must read the test database
(SQLite's test database lives in this process's memory)."""

import time

import pytest
from playwright.sync_api import expect

from conversations.services import conversation_assign
from tests.personas import PASSWORD
from tests.serving import database_url, live_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.mariadb(reason="the live process reads the test database from another process: "
                               "SQLite's test database lives in this process's memory. CI runs it on MariaDB."),
]

LIVE_BOUND = 3.0  # seconds: every message, with the stream up
POLL_BOUND = 6.5  # seconds: the 5 s timer, a request, a little slack


def stream_opened(person):
    """Wait until the page's EventSource got its 200 (the stream is listening)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(url.endswith("/live/stream") and status == 200 for url, status in person.responses):
            return True
        person.page.wait_for_timeout(50)
    return False


def send_and_time(sender, receiver, text, bound):
    """Send from one page; return how long until the other page shows it (fails past `bound`)."""
    sender.page.get_by_label("Message").fill(text)
    started = time.monotonic()
    sender.page.get_by_label("Message").press("Enter")
    expect(receiver.page.locator("#messages .msg-theirs").filter(has_text=text)).to_have_count(1, timeout=bound * 1000)
    return time.monotonic() - started


def test_customer_and_staff_see_each_other_live_and_by_polling_without_it(
        settings, live_server, sign_in, john, sarah, admin_user, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    # The pages come from live_server, the stream from the live process on another port of
    # the same host (the session cookie is per host, not per port).
    host = live_server.url.split("//", 1)[1].rsplit(":", 1)[0]
    with live_process(database_url=database_url(), env={"LIVE_ALLOWED_ORIGINS": live_server.url}) as (_, port):
        live_origin = f"http://{host}:{port}"
        settings.LIVE_URL = f"{live_origin}/live/stream"
        csp = settings.CONTENT_SECURITY_POLICY
        settings.CONTENT_SECURITY_POLICY = {
            **csp, "DIRECTIVES": {**csp["DIRECTIVES"], "connect-src": [*csp["DIRECTIVES"]["connect-src"], live_origin]},
        }

        customer = sign_in(john, PASSWORD)
        staff = sign_in(sarah, PASSWORD)
        for person in (customer, staff):
            person.responses = []
            person.page.on("response", lambda r, p=person: p.responses.append((r.url, r.status)))
        staff.page.goto(f"/staff/conversations/{johns_conversation.pk}/")
        customer.page.reload()
        assert stream_opened(customer) and stream_opened(staff), "a page did not open its stream"

        live = []
        for n in range(3):
            live.append(("customer -> staff", send_and_time(customer, staff, f"Question {n} from John", LIVE_BOUND)))
            live.append(("staff -> customer", send_and_time(staff, customer, f"Answer {n} from Sarah", LIVE_BOUND)))
        print("\nlive: " + ", ".join(f"{way} {seconds:.2f} s" for way, seconds in live))

    # The live process is gone: the streams drop, the pages poll every 5 s again.
    polled = [("customer -> staff", send_and_time(customer, staff, "Still there, Sarah?", POLL_BOUND)),
              ("staff -> customer", send_and_time(staff, customer, "Yes John, still here.", POLL_BOUND))]
    print("polling: " + ", ".join(f"{way} {seconds:.2f} s" for way, seconds in polled))

    expect(customer.page.locator("#messages .msg")).to_have_count(8)
    expect(staff.page.locator("#messages .msg")).to_have_count(8)
    for person in (customer, staff):
        assert person.csp_violations() == [], person.csp_violations()
