"""A read travels on the live stream (issue 15, part 4): with the live process beside the
pages, a read in one browser clears the unread badge and the tab's count in another within
a few seconds, long before the list's timer would poll (with a healthy stream it waits for
the safety poll, 300 s by default).

MariaDB only: the live process is a separate process and must read the test database."""

import re

import pytest
from playwright.sync_api import expect

from conversations.services import conversation_assign, conversation_post_message
from tests.browser.test_live_chat import stream_opened
from tests.personas import PASSWORD
from tests.serving import database_url, live_process

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.mariadb(reason="the live process reads the test database from another process: "
                               "SQLite's test database lives in this process's memory. CI runs it on MariaDB."),
]

LIVE_BOUND = 4_000  # ms: the feed's tick, the stream, the list's fetch, slack for a loaded machine


def test_a_read_clears_the_badge_and_count_elsewhere_through_the_stream(
        settings, live_server, sign_in, admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Anyone there?")
    host = live_server.url.split("//", 1)[1].rsplit(":", 1)[0]
    with live_process(database_url=database_url(), env={"LIVE_ALLOWED_ORIGINS": live_server.url}) as (_, port):
        live_origin = f"http://{host}:{port}"
        settings.LIVE_URL = f"{live_origin}/live/stream"
        csp = settings.CONTENT_SECURITY_POLICY
        settings.CONTENT_SECURITY_POLICY = {
            **csp, "DIRECTIVES": {**csp["DIRECTIVES"], "connect-src": [*csp["DIRECTIVES"]["connect-src"], live_origin]},
        }
        inbox, reader = sign_in(sarah, PASSWORD), sign_in(sarah, PASSWORD)  # Sarah, two browsers
        inbox.responses = []
        inbox.page.on("response", lambda r: inbox.responses.append((r.url, r.status)))
        inbox.page.goto("/staff/conversations/")
        assert stream_opened(inbox), "the inbox did not open its stream"
        badge = inbox.page.locator(f"#conv-{johns_conversation.pk} .badge")
        expect(badge).to_have_text(re.compile(r"^1"))
        expect(inbox.page).to_have_title(re.compile(r"^\(1\) My conversations"))

        reader.page.goto(f"/staff/conversations/{johns_conversation.pk}/")  # the read, elsewhere
        expect(badge).to_have_count(0, timeout=LIVE_BOUND)
        expect(inbox.page).to_have_title(re.compile(r"^My conversations"), timeout=LIVE_BOUND)
        assert inbox.csp_violations() == []
