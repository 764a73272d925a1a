"""Browser tests: Playwright for Python driving Debian's Chromium against live_server.

Playwright's sync API runs an event loop in the test's thread, and Django refuses ORM
calls from a thread with a running loop unless told otherwise (NOTES.md): the
``browser`` fixture sets DJANGO_ALLOW_ASYNC_UNSAFE for as long as the browser runs and
removes it afterwards, so it never leaks into other tests (the deploy check refuses it).
"""

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        print(f"\nSKIPPING browser tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Person:
    """One signed-in browser context (its own cookies), with the console errors it saw."""

    def __init__(self, browser, base_url, user, password, width=1280, height=800, **context_options):
        # context_options: Playwright's, e.g. timezone_id="Asia/Tokyo", locale="en-US".
        self.context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                           **context_options)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(user.email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(lambda url: "/accounts/login/" not in url)

    def csp_violations(self):
        return [e for e in self.errors if "Content Security Policy" in e]

    def close(self):
        self.context.close()


@pytest.fixture
def sign_in(browser, live_server):
    people = []

    def _sign_in(user, password, **viewport):
        person = Person(browser, live_server.url, user, password, **viewport)
        people.append(person)
        return person

    yield _sign_in
    # Pages ask in the background (polls, the tab's count): leave them first, so no new
    # request starts, and give the live server's threads a moment to finish the ones it is
    # answering. Otherwise such a request can still hold SQLite's shared in-memory database
    # while the test database is flushed ("database table is locked").
    for person in people:
        person.page.goto("about:blank")
    if people:
        people[0].page.wait_for_timeout(300)
    for person in people:
        person.close()
