"""Internal notes in real Chromium (issue 14, SECURITY_CASES 39): Sarah writes a note with
an @mention on her staff page while John has his chat open; John's page never shows it
and gets nothing new (its polls stay 204); the admin sees it, marked, and the mention
mark in the console list. Screenshots of the pages at 375 and 1280 px go to
$SCREENSHOT_DIR when set."""

import os

import pytest
from playwright.sync_api import expect

from conversations.models import Message
from conversations.services import conversation_assign, conversation_post_message
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "@admin please approve the refund, zanzibar code 7731"


def shot(person, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        person.page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=False)


def test_a_note_with_a_mention_stays_in_the_team(sign_in, john, sarah, admin_user, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Where is my refund?")
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Checking now, John.")

    customer = sign_in(john, PASSWORD)
    customer.page.goto("/portal/chat/")
    expect(customer.page.locator("#messages .msg")).to_have_count(2)
    polls = []
    customer.page.on("response", lambda r: "/portal/chat/messages/" in r.url and polls.append(r.status))

    staff = sign_in(sarah, PASSWORD)
    staff.page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    switch = staff.page.get_by_role("switch", name="Internal note")
    switch.check()
    expect(staff.page.locator(".note-hint")).to_be_visible()
    # @ and a few letters offer the teammates who can see it; Enter picks, then Enter sends.
    box = staff.page.get_by_label("Message")
    box.click()
    box.press_sequentially("@ad")
    option = staff.page.locator("#mention-options").get_by_role("option", name="@admin · Ada Admin")
    expect(option).to_be_visible()
    expect(staff.page.locator("#mention-options [role=option]")).to_have_count(1)  # Mike cannot see it: not offered
    shot(staff, "note-mention-1280")
    box.press("Enter")
    expect(box).to_have_value("@admin ")
    box.press_sequentially(NOTE.removeprefix("@admin "))
    shot(staff, "note-composer-1280")
    box.press("Enter")
    note_row = staff.page.locator("#messages .msg-internal").filter(has_text="zanzibar code 7731")
    expect(note_row).to_have_count(1)
    expect(note_row.locator(".msg-note-label")).to_contain_text("Only the team sees this")
    assert Message.objects.get(body=NOTE).internal

    # John's page: a poll cycle and more pass (5 s timer); nothing new arrives.
    sent_at = len(polls)
    customer.page.wait_for_timeout(6500)
    assert len(polls) > sent_at, "the customer's page did not poll meanwhile"
    assert set(polls[sent_at:]) == {204}, polls
    expect(customer.page.locator("#messages .msg")).to_have_count(2)
    assert "zanzibar" not in customer.page.content()
    customer.page.reload()
    assert "zanzibar" not in customer.page.content()
    expect(customer.page.locator("#messages .msg")).to_have_count(2)

    # The admin: the mention mark in the console list, then the note, shown apart.
    admin = sign_in(admin_user, PASSWORD)
    admin.page.goto("/admin/conversations/")
    expect(admin.page.locator(f"#row-{johns_conversation.pk} .mention-badge")).to_have_text("Mentioned")
    shot(admin, "console-list-mentioned-1280")
    admin.page.goto(f"/admin/conversations/{johns_conversation.pk}/")
    admin_note = admin.page.locator("#messages .msg-internal")
    expect(admin_note).to_have_count(1)
    expect(admin_note).to_contain_text("Sarah Johnson")
    background = admin_note.locator(".msg-body").evaluate("e => getComputedStyle(e).backgroundColor")
    public = admin.page.locator("#messages .msg:not(.msg-internal) .msg-body").first.evaluate(
        "e => getComputedStyle(e).backgroundColor")
    assert background != public
    shot(admin, "console-note-1280")
    admin.page.goto("/admin/conversations/")
    expect(admin.page.locator(f"#row-{johns_conversation.pk} .mention-badge")).to_have_count(0)

    # Phones: the switch fits beside Send, the note reads as one.
    phone = sign_in(sarah, PASSWORD, width=375, height=740)
    phone.page.goto(f"/staff/conversations/{johns_conversation.pk}/")
    expect(phone.page.locator("#messages .msg-internal")).to_have_count(1)
    send = phone.page.get_by_role("button", name="Send")
    box = send.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 375
    phone.page.get_by_role("switch", name="Internal note").check()
    shot(phone, "note-composer-375")
    for person in (customer, staff, admin, phone):
        assert person.csp_violations() == []
