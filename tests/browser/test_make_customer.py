"""Issue 12 in a real Chromium: an admin opens a lead's conversation, sees the lead panel
beside the thread and clicks "Make customer"; the worker sends the invitation through a
real SMTP server; the new customer follows the link from that email, chooses a password
and finds the whole timeline in the portal: what they wrote as a lead, the team's
replies. At 375 px (a phone) and 1280 px. Screenshots go to $SCREENSHOT_DIR when set."""

import os
import re

import pytest
from playwright.sync_api import expect

from conversations.services import conversation_assign, conversation_post_message, conversation_start_for_lead
from leads.models import Lead
from tests.personas import PASSWORD
from tests.smtp import drain_queue, text_of
from tests.smtp import smtp_server as _smtp_server_fixture

smtp_server = _smtp_server_fixture
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-long-new-passphrase-42"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def real(errors):
    """Script errors and CSP violations; not the answers the page expects (the live
    stream's 503 under live_server), which Chromium logs as failed loads."""
    return [e for e in errors if not e.startswith("Failed to load resource")]


def shot(target, name):
    """A whole page, or one element (the lead panel) when ``target`` is a locator."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        path = os.path.join(folder, f"{name}.png")
        if hasattr(target, "goto"):
            target.screenshot(path=path, full_page=True)
        else:
            target.screenshot(path=path)


def new_page(browser, live_server, width, errors):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page


@pytest.fixture
def alices_conversations(admin_user, sarah, alice_lead, lead_conversation):
    """Alice (a lead) asked twice; Sarah (assigned) replied once. A second, older-looking
    conversation with her exists too, so the admin chooses which becomes the portal one."""
    Lead.objects.filter(pk=alice_lead.pk).update(company="Startup Ltd", phone="+44 20 7946 0000")
    conversation_assign(actor=admin_user, conversation=lead_conversation, assignee=sarah)
    conversation_post_message(actor=None, conversation=lead_conversation, body="Hi, do you support SSO?")
    conversation_post_message(actor=sarah, conversation=lead_conversation, body="We do: SAML and OIDC.")
    conversation_post_message(actor=None, conversation=lead_conversation, body="Great, we will sign up.")
    other = conversation_start_for_lead(actor=admin_user, lead=alice_lead)
    conversation_post_message(actor=None, conversation=other, body="Pricing question")
    return lead_conversation, other


@pytest.mark.parametrize("width", [375, 1280])
def test_make_customer_then_the_invited_customer_sees_the_whole_timeline(
        browser, live_server, settings, smtp_server, admin_user, alices_conversations, width):
    settings.SITE_URL = live_server.url  # the email's links lead to this server
    main, other = alices_conversations
    errors = []
    context, page = new_page(browser, live_server, width, errors)
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(admin_user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

        page.goto(f"/admin/conversations/{main.pk}/")
        panel = page.locator("#participant-card")
        expect(panel.get_by_role("heading", name="Lead")).to_be_visible()
        for fact in ("Alice Brown", "alice@startup.test", "Startup Ltd", "+44 20 7946 0000", "Added"):
            expect(panel).to_contain_text(fact)
        expect(panel.get_by_label("Lead status")).to_have_value("contacted")  # Sarah replied to a new lead
        expect(panel.locator(".lead-conversations li")).to_have_count(2)
        expect(panel.get_by_role("link", name=f"#{other.pk}")).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, f"lead-page-{width}")
        shot(panel, f"lead-panel-{width}")

        panel.locator("summary", has_text="Make customer").click()
        form = panel.locator(".make-customer-form")
        expect(form).to_contain_text("Creates a customer account for alice@startup.test")
        expect(form.get_by_label("Becomes their portal conversation")).to_have_value(str(main.pk))
        assert no_sideways_scroll(page)
        shot(panel, f"lead-panel-make-customer-{width}")
        assert smtp_server.messages == []
        form.get_by_role("button", name="Make customer", exact=True).click()
        expect(page.locator(".flash")).to_contain_text("Alice Brown is now a customer.")
        expect(panel.get_by_role("heading", name="Customer")).to_be_visible()
        expect(panel).to_contain_text("Was a lead")
        expect(panel.locator(".tag-portal")).to_have_count(1)
        shot(page, f"lead-page-converted-{width}")
        shot(panel, f"lead-panel-converted-{width}")
        assert real(errors) == []
    finally:
        context.close()

    drain_queue()  # the real worker sends the invitation through the SMTP server
    (invitation,) = smtp_server.to("alice@startup.test")
    assert invitation["Subject"] == "You are invited to DesignPi Support"
    link = re.search(r"(/accounts/invitation/[^/\s]+/[^/\s]+/)", text_of(invitation)).group(1)

    errors = []
    context, page = new_page(browser, live_server, width, errors)  # Alice's own browser
    try:
        page.goto(link)
        expect(page.get_by_role("heading", name="Welcome, Alice Brown")).to_be_visible()
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set the password and sign in").click()
        page.wait_for_url(re.compile(r"/portal/chat/$"))
        thread = page.locator("#messages")
        for body in ("Hi, do you support SSO?", "We do: SAML and OIDC.", "Great, we will sign up."):
            expect(thread).to_contain_text(body)
        expect(thread).not_to_contain_text("Pricing question")  # the other stays a lead conversation
        expect(thread.locator(".msg-mine")).to_have_count(2)  # what she wrote as a lead is hers
        expect(thread.locator(".msg-theirs")).to_contain_text("Sarah Johnson")
        page.get_by_label("Message").fill("Signed in now, thanks!")
        page.get_by_role("button", name="Send").click()
        expect(thread.locator(".msg-mine")).to_have_count(3)
        assert no_sideways_scroll(page)
        shot(page, f"portal-after-conversion-{width}")
        assert real(errors) == []
    finally:
        context.close()
    main.refresh_from_db()
    assert main.last_seq == 4 and main.customer.email == "alice@startup.test"
