"""Automatic assignment in a real Chromium (issue 14): a staff member turns the header
switch on, an admin chooses a rule and a capacity on the Assignment page, and a new
customer message lands in that staff member's inbox with the record in the panel; the
pages fit a phone (390 px) and a desktop (1280 px) without CSP errors. Screenshots go to
$SCREENSHOT_DIR when it is set."""

import os

import pytest
from playwright.sync_api import expect

from accounts.models import User
from conversations.models import Conversation
from conversations.services import conversation_get_or_create_for_customer, conversation_post_message
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("width", [390, 1280])
def test_switch_rule_capacity_and_an_automatic_assignment(sign_in, admin_user, sarah, john, width):
    staff = sign_in(sarah, PASSWORD, width=width)
    staff.page.goto("/staff/conversations/")
    switch = staff.page.get_by_role("switch")
    expect(switch).to_have_text("Away")
    switch.click()
    expect(staff.page.get_by_role("switch")).to_have_text("Available")
    assert User.objects.get(pk=sarah.pk).available
    shot(staff.page, f"assignment-switch-{width}")
    assert no_sideways_scroll(staff.page)

    admin = sign_in(admin_user, PASSWORD, width=width)
    admin.page.goto("/admin/assignment/")
    admin.page.get_by_label("Automatic assignment").select_option("least_loaded")
    admin.page.get_by_role("button", name="Save").first.click()
    expect(admin.page.get_by_text("Automatic assignment: Least-loaded")).to_be_visible()
    admin.page.get_by_label(f"Capacity of {sarah.display_name}").fill("4")
    admin.page.locator(f"form[action$='/people/{sarah.pk}/capacity/'] button").click()
    expect(admin.page.get_by_text("takes at most 4 open conversations")).to_be_visible()
    shot(admin.page, f"assignment-page-{width}")
    assert no_sideways_scroll(admin.page)

    conversation, _ = conversation_get_or_create_for_customer(customer=john)
    Conversation.objects.filter(pk=conversation.pk).update(assigned_to=None)
    conversation_post_message(actor=john, conversation=conversation, body="Is anyone there?")
    assert Conversation.objects.get(pk=conversation.pk).assigned_to_id == sarah.pk
    staff.page.goto(f"/staff/conversations/{conversation.pk}/")
    expect(staff.page.get_by_text(f"Assigned automatically to {sarah.display_name} by least-loaded")).to_be_visible()
    shot(staff.page, f"assignment-record-{width}")
    assert no_sideways_scroll(staff.page)
    assert not staff.csp_violations() and not admin.csp_violations()
