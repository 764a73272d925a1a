"""Security headers on real responses: pages, htmx fragments, API JSON, error pages
(SECURITY_CASES 15; issue 5 §4). Nothing here reads settings: every assertion is
about what a browser would receive."""

import re
from pathlib import Path

from django.test import Client

from tests.personas import client_for

ROOT = Path(__file__).resolve().parents[1]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_strict_csp(response):
    directives = csp_directives(response)
    assert directives, f"no Content-Security-Policy on {response.wsgi_request.path}"
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for name, sources in directives.items():
        for source in sources:
            assert source not in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"), (name, source)
            assert not (name.startswith("script") and source == "data:"), name


def assert_common(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def assert_private(response):
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, response.get("Cache-Control")


def html_responses(world):
    pk = world["johns"].pk
    john, sarah, admin = (client_for(world[name]) for name in ("john", "sarah", "admin"))
    anonymous = Client()
    return {
        "login page": (anonymous.get("/accounts/login/"), 200),
        "customer chat": (john.get("/portal/chat/"), 200),
        "customer poll fragment": (john.get("/portal/chat/messages/", {"after": 0}, HTTP_HX_REQUEST="true"), 200),
        "staff thread": (sarah.get(f"/staff/conversations/{pk}/"), 200),
        "staff poll fragment": (sarah.get(f"/staff/conversations/{pk}/messages/", {"after": 0}, HTTP_HX_REQUEST="true"), 200),
        "staff list rows fragment": (sarah.get("/staff/conversations/rows/", HTTP_HX_REQUEST="true"), 200),
        "admin list": (admin.get("/admin/conversations/"), 200),
        "admin thread": (admin.get(f"/admin/conversations/{pk}/"), 200),
        "404 page": (john.get("/no/such/page/"), 404),
        "404 not yours": (sarah.get(f"/staff/conversations/{pk + 1000}/"), 404),
        "403 page": (john.get("/staff/conversations/"), 403),
        "400 page": (john.get("/portal/chat/messages/", {"after": "abc"}), 400),
        "405": (john.get("/portal/chat/send/"), 405),
        "django admin": (admin.get("/django-admin/"), 200),
    }


def test_every_html_response_has_a_strict_csp_and_the_usual_headers(world):
    for label, (response, status) in html_responses(world).items():
        assert response.status_code == status, label
        assert_strict_csp(response)
        assert_common(response)


def test_signed_in_pages_and_fragments_are_private_no_store(world):
    for label, (response, _) in html_responses(world).items():
        assert_private(response)


def test_api_json_answers_are_private_no_store_and_nosniff(world):
    john = client_for(world["john"])
    for response, status in [
        (john.get("/api/portal/conversation"), 200),
        (john.get(f"/api/conversations/{world['johns'].pk}/messages"), 200),
        (john.get("/api/admin/conversations"), 403),
        (Client().get("/api/portal/conversation"), 401),
        (john.get("/api/conversations/999999/messages"), 404),
    ]:
        assert response.status_code == status
        assert response["Content-Type"].startswith("application/json")
        assert_private(response)
        assert_common(response)


def test_hsts_on_https_for_a_year_with_subdomains():
    response = Client().get("/accounts/login/", secure=True)
    hsts = response["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000
    assert "includeSubDomains" in hsts


def test_the_page_asks_htmx_not_to_inject_styles_or_eval(world):
    """htmx works under the CSP only with these set (NOTES.md): it would otherwise add
    an inline <style> (refused by style-src 'self') and evaluate attribute code."""
    body = client_for(world["john"]).get("/portal/chat/").content.decode()
    config = re.search(r'<meta name="htmx-config" content=\'([^\']*)\'', body)
    assert config, "no htmx-config meta"
    assert '"includeIndicatorStyles": false' in config.group(1)
    assert '"allowEval": false' in config.group(1)


# Email bodies (templates/*/email/) are not pages: no CSP applies to them, and mail
# clients only keep styles written inline, so they are left out.
TEMPLATE_FILES = sorted(
    path for path in ROOT.glob("**/templates/**/*.html")
    if ".venv" not in path.parts and "site-packages" not in path.parts and "email" not in path.parts
)
# What a strict CSP blocks, so the page would silently break: inline code and styles.
CSP_BREAKERS = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "on… handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "hx-on attribute (needs eval)": re.compile(r"\shx-on", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
    "js: hx-vals (needs eval)": re.compile(r"hx-vals\s*=\s*['\"]\s*js:", re.I),
    "htmx trigger filter (needs eval)": re.compile(r"hx-trigger\s*=\s*['\"][^'\"]*\[", re.I),
}


def test_templates_contain_nothing_the_csp_would_block():
    assert TEMPLATE_FILES, "no templates found"
    problems = []
    for path in TEMPLATE_FILES:
        text = path.read_text()
        for label, pattern in CSP_BREAKERS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {label}")
    assert not problems, "\n".join(problems)


def test_our_javascript_needs_no_eval():
    for path in (ROOT / "static").glob("**/*.js"):
        text = path.read_text()
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*['\"]", text), path
