"""Accounts by email in a real Chromium: app.js sends the browser's time zone with the
sign-in form; an admin invites someone and deactivates someone from People (the confirm
dialog); the pages fit a phone (390 px) and a desktop (1280 px). Screenshots of the pages
go to $SCREENSHOT_DIR when it is set (to look at them)."""

import os
import re

import pytest
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts.models import Role, User
from accounts.services import user_invite
from accounts.tokens import invitation_tokens
from tests.personas import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def real(errors):
    """Script errors and CSP violations; not the answers the page expects (the live
    stream's 503 under live_server, a 400 page), which Chromium logs as failed loads."""
    return [e for e in errors if not e.startswith("Failed to load resource")]


def shot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def new_page(browser, live_server, width, errors):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900},
                                  timezone_id="Pacific/Auckland")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("width", [390, 1280])
def test_people_invite_deactivate_and_the_time_zone(browser, live_server, admin_user, john, width):
    errors = []
    context, page = new_page(browser, live_server, width, errors)
    try:
        page.goto("/accounts/login/")
        expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
        shot(page, f"login-{width}")
        sign_in(page, admin_user)
        admin_user.refresh_from_db()
        assert admin_user.time_zone == "Pacific/Auckland"  # app.js filled the hidden field

        page.goto("/admin/people/")
        page.get_by_text("Invite someone").click()
        form = page.locator(".invite-form")
        form.get_by_label("Name").fill("Nina <New>")
        form.get_by_label("Email").fill("nina@example.test")
        form.get_by_label("Role").select_option("staff")
        form.get_by_role("button", name="Send the invitation").click()
        expect(page.locator(".flash")).to_contain_text("Invitation sent to nina@example.test.")
        row = page.locator("tr", has_text="nina@example.test")
        expect(row).to_contain_text("Invited")
        expect(row.get_by_role("button", name="Resend invitation")).to_be_visible()

        page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel" changes nothing
        page.locator("tr", has_text="john@example.test").get_by_role("button", name=re.compile("Deactivate")).click()
        john.refresh_from_db()
        assert john.is_active
        page.once("dialog", lambda dialog: dialog.accept())
        page.locator("tr", has_text="john@example.test").get_by_role("button", name=re.compile("Deactivate")).click()
        expect(page.locator(".flash")).to_contain_text("John Doe is deactivated")
        expect(page.locator("tr", has_text="john@example.test")).to_contain_text("Deactivated")
        assert not User.objects.get(pk=john.pk).is_active
        page.get_by_text("Invite someone").click()
        assert no_sideways_scroll(page)
        shot(page, f"people-{width}")

        # The invite form's errors, on the page (400).
        form.get_by_label("Email").fill("JOHN@example.test")
        form.get_by_label("Name").fill("Someone")
        form.get_by_role("button", name="Send the invitation").click()
        expect(page.locator(".invite-form")).to_contain_text("Someone already has an account with this email.")
        assert no_sideways_scroll(page)
        shot(page, f"people-error-{width}")
        assert real(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_an_invitation_link_sets_the_password_and_the_zone(browser, live_server, admin_user, width):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    path = reverse("accounts:invitation_accept", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(nina.pk)), "token": invitation_tokens.make_token(nina)})
    errors = []
    context, page = new_page(browser, live_server, width, errors)
    try:
        page.goto(path)
        expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, f"invitation-{width}")
        page.get_by_label("New password", exact=True).fill("a-long-new-passphrase-42")
        page.get_by_label("New password again").fill("a-long-new-passphrase-42")
        page.get_by_role("button", name="Set the password and sign in").click()
        page.wait_for_url(re.compile(r"/staff/conversations/$"))
        expect(page.locator(".flash")).to_contain_text("Welcome! Your password is set.")
        nina.refresh_from_db()
        assert nina.time_zone == "Pacific/Auckland" and nina.check_password("a-long-new-passphrase-42")
        assert real(errors) == []
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_public_pages_fit(browser, live_server, db, width):
    errors = []
    context, page = new_page(browser, live_server, width, errors)
    try:
        page.goto("/accounts/password/reset/")
        expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
        shot(page, f"reset-{width}")
        page.get_by_label("Email").fill("nobody@example.test")
        page.get_by_role("button", name="Send the link").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, f"reset-sent-{width}")
        page.goto("/accounts/invitation/MQ/abc-def/")
        expect(page.get_by_role("heading", name="This invitation does not work")).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, f"invitation-invalid-{width}")
        assert real(errors) == []
    finally:
        context.close()
