"""/api/openapi.json and the interactive docs page at /api/docs: served by the app
(no CDN), and working under our CSP (script-src 'self'; style-src 'self')."""

import os
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.api.client import api_client


def test_openapi_document_is_public_json_with_session_auth(db):
    response = api_client(None).get("/api/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "DesignPi Support API"
    session_auth = document["components"]["securitySchemes"]["SessionAuth"]
    assert (session_auth["type"], session_auth["in"], session_auth["name"]) == ("apiKey", "cookie", "sessionid")
    assert "X-CSRFToken" in session_auth["description"] and "/accounts/login/" in session_auth["description"]
    patch = document["paths"]["/api/admin/conversations"]["patch"]
    assert {"200", "400", "401", "403", "404"} <= set(patch["responses"])


def test_docs_page_loads_its_assets_from_our_static_files_without_inline_script(db):
    response = api_client(None).get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/static/") for source in sources), sources
    # The only <script> without src is the JSON settings block, which browsers never execute.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']
    assert " style=" not in html and "<style" not in html
    for source in sources:  # whitenoise serves these after collectstatic; the finders locate them here
        assert finders.find(source.removeprefix(settings.STATIC_URL)), source


@pytest.mark.browser
def test_docs_page_renders_under_csp_in_chromium(live_server, admin_user, monkeypatch):
    """Swagger UI renders every operation, with no CSP violation and no request off this host."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium")

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            problems, foreign = [], []
            page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("request", lambda req: req.url.startswith(live_server.url) or req.url.startswith("data:")
                    or foreign.append(req.url))
            page.goto(f"{live_server.url}/api/docs")
            page.wait_for_selector(".opblock-summary-path", timeout=15000)
            paths = page.locator(".opblock-summary-path").all_inner_texts()
        finally:
            browser.close()

    assert "/api/conversations/{conversation_id}/messages" in " ".join(paths)
    assert len(paths) == 8  # every operation of docs/API.md, the bulk PATCH included
    assert not problems, problems
    assert not foreign, foreign
