"""The seed's "Testing the System" walkthrough, in a real Chromium with several people
signed in at once: the customer writes, the admin assigns Sarah, Sarah sees the unread
badge and replies, the customer sees the reply without reloading, Mike sees nothing."""

import re

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL_WAIT = 8_000  # the thread polls every 5 s
LIST_POLL_WAIT = 14_000  # lists poll every 10 s


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_customer_admin_staff_walkthrough(sign_in, john, admin_user, sarah, mike):
    # The customer opens the chat and writes; the page does not reload, the box clears.
    customer = sign_in(john, PASSWORD)
    chat = customer.page
    expect(chat).to_have_url(re.compile(r"/portal/chat/$"))
    chat.evaluate("window.__sameDocument = true")
    box = chat.get_by_label("Message")
    box.fill("Our invoice for November shows the wrong company name.")
    chat.get_by_role("button", name="Send").click()
    messages = chat.locator("#messages")
    expect(messages.locator(".msg-mine")).to_have_count(1, timeout=3_000)  # at once: the send triggers the poll
    expect(messages).to_contain_text("wrong company name")
    expect(box).to_have_value("")
    # Enter sends too; the fresh idempotency token makes it a second message, not a duplicate.
    box.fill("It should say Acme Corporation.")
    box.press("Enter")
    expect(messages.locator(".msg-mine")).to_have_count(2, timeout=3_000)
    conversation = Conversation.objects.get(customer=john)
    assert conversation.messages.count() == 2 and conversation.ticket.subject == "Support request from John Doe"

    # Sarah is already looking at her (empty) inbox; Mike at his.
    staff = sign_in(sarah, PASSWORD)
    expect(staff.page).to_have_url(re.compile(r"/staff/conversations/$"))
    expect(staff.page.get_by_text("Nothing assigned to you yet.")).to_be_visible()
    other = sign_in(mike, PASSWORD)

    # The admin sees the conversation and assigns it to Sarah inline.
    admin = sign_in(admin_user, PASSWORD)
    console = admin.page
    expect(console).to_have_url(re.compile(r"/admin/conversations/$"))
    row = console.locator(f"#row-{conversation.pk}")
    expect(row).to_contain_text("John Doe")
    expect(row).to_contain_text("It should say Acme Corporation.")
    picker = row.get_by_label("Assign to")
    picker.focus()  # as a person does: the page's one team list is copied in when it is opened
    picker.select_option(label="Sarah Johnson")
    expect(console.locator(f"#row-{conversation.pk}")).to_contain_text("Saved")
    # The list does not refresh under a control in use; the admin moves on.
    console.get_by_role("heading", name="Conversations", exact=True).click()
    conversation.refresh_from_db()
    assert conversation.assigned_to == sarah and conversation.ticket.assigned_to == sarah

    # Sarah's list picks it up by itself, with an unread badge of 2.
    link = staff.page.locator(f"#conv-{conversation.pk}")
    expect(link).to_be_visible(timeout=LIST_POLL_WAIT)
    expect(link.locator(".badge")).to_contain_text("2")
    link.click()
    expect(staff.page).to_have_url(re.compile(rf"/staff/conversations/{conversation.pk}/$"))
    expect(staff.page.locator("#messages")).to_contain_text("wrong company name")
    staff.page.get_by_label("Message").fill("Thanks John, I've corrected it and sent a new invoice.")
    staff.page.get_by_role("button", name="Send").click()
    expect(staff.page.locator("#messages .msg-mine")).to_have_count(1, timeout=3_000)

    # The customer sees the reply without reloading, once.
    expect(messages).to_contain_text("sent a new invoice", timeout=POLL_WAIT)
    expect(messages.locator(".msg-theirs")).to_have_count(1)
    expect(messages.locator(".msg-theirs")).to_contain_text("Sarah Johnson")
    assert chat.evaluate("window.__sameDocument === true")

    # The admin's open list shows the new activity; Mike sees nothing of it.
    expect(console.locator(f"#row-{conversation.pk}")).to_contain_text("sent a new invoice", timeout=LIST_POLL_WAIT)
    other.page.reload()
    expect(other.page.locator("#conversation-rows")).not_to_contain_text("John Doe")
    response = other.page.goto(f"/staff/conversations/{conversation.pk}/")
    assert response.status == 404

    # The customer writing into a resolved conversation reopens it.
    staff.page.get_by_label("Status").select_option("RESOLVED")
    expect(staff.page.locator("#conversation-panel")).to_contain_text("Saved")
    conversation.refresh_from_db()
    assert conversation.status == "RESOLVED"
    box.fill("One more thing!")
    box.press("Enter")
    expect(messages.locator(".msg-mine")).to_have_count(3, timeout=3_000)
    conversation.refresh_from_db()
    assert conversation.status == "OPEN"
    expect(staff.page.locator("#messages")).to_contain_text("One more thing!", timeout=POLL_WAIT)
    expect(staff.page.locator("#messages .msg")).to_have_count(4)

    for person in (customer, staff, other, admin):
        assert person.csp_violations() == [], person.csp_violations()


def test_reassigned_staff_page_stops_and_says_so(sign_in, john, admin_user, sarah, mike):
    from conversations.services import conversation_assign, conversation_get_or_create_for_customer

    conversation, _ = conversation_get_or_create_for_customer(customer=john)
    conversation_assign(actor=admin_user, conversation=conversation, assignee=sarah)
    staff = sign_in(sarah, PASSWORD)
    staff.page.goto(f"/staff/conversations/{conversation.pk}/")
    conversation_assign(actor=admin_user, conversation=conversation, assignee=mike)
    expect(staff.page.locator("#notice")).to_contain_text("no longer available", timeout=POLL_WAIT)
    expect(staff.page.locator("#poller")).to_have_count(0)


@pytest.mark.parametrize("who, path", [
    ("john", "/portal/chat/"),
    ("sarah", "/staff/conversations/"),
    ("admin_user", "/admin/conversations/"),
    ("admin_user", "/admin/leads/"),
    ("admin_user", "/admin/tickets/"),
    ("admin_user", "/admin/people/"),
])
def test_phone_width_has_no_sideways_scroll(request, sign_in, who, path, johns_conversation, admin_user, sarah):
    from conversations.services import conversation_assign, conversation_post_message

    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=johns_conversation.customer, conversation=johns_conversation,
                              body="A-very-long-unbroken-word-" * 12)
    person = sign_in(request.getfixturevalue(who), PASSWORD, width=360, height=740)
    person.page.goto(path)
    assert no_sideways_scroll(person.page)
    if path != "/portal/chat/":
        person.page.goto(path.replace("/conversations/", f"/conversations/{johns_conversation.pk}/"))
        assert no_sideways_scroll(person.page)


def test_session_expiry_while_polling_goes_to_the_login_page(sign_in, john):
    customer = sign_in(john, PASSWORD)
    customer.context.clear_cookies()  # the session is gone, as if it expired
    customer.page.wait_for_url(re.compile(r"/accounts/login/\?next=%2Fportal%2Fchat%2F"), timeout=POLL_WAIT)
    expect(customer.page.get_by_label("Email")).to_be_visible()
    assert customer.page.locator("#messages").count() == 0
