"""The admin list in Chromium (issue 13): the one team list copied into a row's "Assign
to" when it is opened, and the bulk bar: tick, review in place, apply, the report."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conversations.models import Conversation
from conversations.services import conversation_get_or_create_for_customer, conversation_post_message
from tests.factories import CustomerFactory
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def three(db):
    made = []
    for name in ("Ann Able", "Ben Baker", "Cat Cole"):
        customer = CustomerFactory(name=name)
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        conversation_post_message(actor=customer, conversation=conversation, body=f"{name} needs help")
        made.append(conversation)
    return made


def test_a_rows_assign_to_gets_the_team_when_opened_and_assigns(sign_in, admin_user, sarah, mike, three):
    page = sign_in(admin_user, PASSWORD).page
    page.goto("/admin/conversations/")
    picker = page.locator(f"#row-{three[0].pk}").get_by_label("Assign to")
    expect(picker.locator("option")).to_have_count(1)  # only its own value until opened
    picker.focus()  # keyboard or pointer: the page's one team list is copied in first
    expect(picker.locator("option")).to_have_count(4)  # Unassigned, Ada Admin, Mike, Sarah
    expect(picker).to_have_value("")
    picker.press("Escape")
    picker.select_option(label="Mike Chen")
    expect(page.locator(f"#row-{three[0].pk}")).to_contain_text("Saved")
    three[0].refresh_from_db()
    assert three[0].assigned_to == mike and three[0].ticket.assigned_to == mike
    # The row came back with its new value and the page's list still serves it.
    picker = page.locator(f"#row-{three[0].pk}").get_by_label("Assign to")
    expect(picker).to_have_value(str(mike.pk))
    picker.focus()
    expect(picker.locator("option")).to_have_count(4)


def test_tick_review_in_place_and_apply(sign_in, admin_user, sarah, three):
    person = sign_in(admin_user, PASSWORD)
    page = person.page
    page.goto("/admin/conversations/")
    page.get_by_label("Select Ann Able").check()
    page.get_by_label("Select Cat Cole").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("2 conversations selected.")
    select_all = page.get_by_label("Select all on this page")
    expect(select_all).to_have_js_property("indeterminate", True)
    page.get_by_label("Assign selected to").select_option(label="Sarah Johnson")
    page.get_by_label("Set status").select_option(label="Pending")
    page.get_by_role("button", name="Review…").click()
    title = page.get_by_role("heading", name="Assign to Sarah Johnson and set the status to Pending: 2 conversations?")
    expect(title).to_be_focused()
    assert Conversation.objects.filter(assigned_to=sarah).count() == 0  # the review changes nothing
    # Escape closes it and gives the focus back; the ticks stay.
    page.keyboard.press("Escape")
    expect(title).to_have_count(0)
    expect(page.get_by_role("button", name="Review…")).to_be_focused()
    page.get_by_role("button", name="Review…").click()
    page.get_by_role("button", name="Apply to 2").click()
    expect(page.locator(".flash")).to_have_text("Assign to Sarah Johnson and set the status to Pending: 2 changed.")
    expect(page).to_have_url(re.compile(r"/admin/conversations/$"))
    changed = Conversation.objects.filter(assigned_to=sarah, status="PENDING", ticket__assigned_to=sarah,
                                          ticket__status="PENDING")
    assert sorted(changed.values_list("pk", flat=True)) == [three[0].pk, three[2].pk]
    assert person.csp_violations() == []


def test_select_all_on_the_page_and_screenshots(sign_in, admin_user, sarah, three):
    ARTIFACTS.mkdir(exist_ok=True)
    for width, height in ((1280, 800), (390, 844)):
        page = sign_in(admin_user, PASSWORD, width=width, height=height).page
        page.goto("/admin/conversations/")
        page.get_by_label("Select all on this page").check()
        expect(page.locator("[data-bulk-row]:checked")).to_have_count(3)
        expect(page.locator("[data-bulk-count]")).to_have_text("3 conversations selected.")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        page.get_by_label("Set status").select_option(label="Resolved")
        page.get_by_role("button", name="Review…").click()
        expect(page.get_by_role("heading", name="Set the status to Resolved: 3 conversations?")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"bulk-list-{width}.png"), full_page=True)
