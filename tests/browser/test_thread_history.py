"""Earlier messages in a real Chromium (issue 15, part 1): a 1,050-message thread read
back to its first message by scrolling to the top, page by page, every message once and
in order, the reader's place kept while each page goes in above."""

import pytest
from playwright.sync_api import expect

from conversations.services import conversation_assign
from tests.factories import bulk_messages
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_stream(settings):
    # live_server serves WSGI, where the stream answers 503: the pages poll instead.
    settings.LIVE_URL = ""

TOTAL = 1050

SEQS = "Array.from(document.querySelectorAll('#messages [data-seq]'), el => +el.dataset.seq)"


def read_back_to_the_start(page):
    """Scroll the thread to its top until the first message is in; return the pages' sizes."""
    thread = page.locator("#messages")
    loaded = [page.evaluate(f"{SEQS}.length")]
    for _ in range(20):
        if page.locator("#msg-1").count():
            break
        top_seq = page.evaluate(f"{SEQS}[0]")
        # Scrolled to the top, the oldest row sits here; the page above goes in without moving it.
        before = thread.evaluate(
            f"el => {{ el.scrollTop = 0; return document.getElementById('msg-{top_seq}').getBoundingClientRect().top; }}")
        expect(page.locator(f"#msg-{top_seq - 1}")).to_be_attached()
        after = page.evaluate(f"document.getElementById('msg-{top_seq}').getBoundingClientRect().top")
        assert abs(after - before) <= 2, (before, after)  # the reading position is kept
        loaded.append(page.evaluate(f"{SEQS}.length"))
    return loaded


@pytest.mark.parametrize("portal", ["staff", "portal"])
def test_scrolling_up_reads_a_long_thread_to_its_first_message(sign_in, admin_user, sarah, john,
                                                               johns_conversation, portal):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    bulk_messages(johns_conversation, TOTAL, customer=john, team_member=sarah)
    person = sign_in(sarah if portal == "staff" else john, PASSWORD)
    page = person.page
    page.goto(f"/staff/conversations/{johns_conversation.pk}/" if portal == "staff" else "/portal/chat/")
    expect(page.locator(f"#msg-{TOTAL}")).to_be_in_viewport()  # opens at the newest
    assert page.evaluate(f"{SEQS}[0]") == TOTAL - 199
    expect(page.get_by_role("button", name="Show earlier messages")).to_be_attached()

    loaded = read_back_to_the_start(page)
    seqs = page.evaluate(SEQS)
    assert seqs == list(range(1, TOTAL + 1))  # in order, no gap, no repeat
    assert loaded == [200, 400, 600, 800, 1000, 1050]
    expect(page.get_by_role("button", name="Show earlier messages")).to_have_count(0)
    assert person.errors == []
    if portal == "staff":
        page.screenshot(path="/tmp/shots_history/earlier-desktop.png")


def test_the_button_loads_the_page_above(sign_in, admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    bulk_messages(johns_conversation, 450, customer=john, team_member=sarah)
    person = sign_in(sarah, PASSWORD, width=390, height=800)
    page = person.page
    page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    page.locator("#messages").evaluate("el => { el.scrollTop = 200; }")  # not at the top: no auto-load
    page.get_by_role("button", name="Show earlier messages").focus()
    page.keyboard.press("Enter")  # by keyboard: the focus moves on to the next page's button
    expect(page.locator("#msg-51")).to_be_attached()
    assert page.evaluate(SEQS) == list(range(51, 451))
    expect(page.get_by_role("button", name="Show earlier messages")).to_be_focused()
    page.locator("#messages").evaluate("el => { el.scrollTop = 0; }")
    page.wait_for_timeout(100)
    page.screenshot(path="/tmp/shots_history/earlier-phone.png")
    assert person.errors == []
