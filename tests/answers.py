"""Comparing whole HTTP answers, for tests that promise two situations look the same
(SECURITY_CASES 8: an unknown email, a wrong password and an inactive account).

Only what must differ between two otherwise identical answers is blanked: the CSRF
token (a fresh mask on every render), the CSP nonce, the value of the csrftoken
cookie, HTTP dates (Expires: "now", which moves between two requests) and the email
the person typed, which the form shows back to them. Every
other byte of the body, the status and every header take part in the comparison.
"""

import re

from django.utils.html import escape

_BLANKS = [
    (re.compile(r'"X-CSRFToken": "[A-Za-z0-9]{64}"'), '"X-CSRFToken": "<token>"'),
    (re.compile(r'name="csrfmiddlewaretoken" value="[A-Za-z0-9]{64}"'), 'name="csrfmiddlewaretoken" value="<token>"'),
    (re.compile(r"'nonce-[A-Za-z0-9+/=]+'"), "'nonce-<nonce>'"),
    (re.compile(r'nonce="[A-Za-z0-9+/=]+"'), 'nonce="<nonce>"'),
    (re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"), "<date>"),
]


def _blank(text: str) -> str:
    for pattern, replacement in _BLANKS:
        text = pattern.sub(replacement, text)
    return text


def _header(name: str, value: str):
    if name.lower() == "content-security-policy":
        # django-csp writes the directives in set order, which may vary; their order means nothing.
        return sorted(_blank(part.strip()) for part in value.split(";"))
    return _blank(value)


def comparable(response, *, typed_email: str) -> dict:
    """Status, headers, cookies (names and attributes) and body, with only the parts
    above blanked. The typed email must appear exactly once, in the email field."""
    body = response.content.decode()
    shown = f'value="{escape(typed_email)}"'
    assert body.count(escape(typed_email)) == 1 and body.count(shown) == 1, "the typed email is shown once, in its field"
    cookies = {
        name: {key: _blank(str(value)) for key, value in morsel.items() if value} | {"value": "<set>" if morsel.value else ""}
        for name, morsel in response.cookies.items()
    }
    return {
        "status": response.status_code,
        "headers": {name: _header(name, value) for name, value in response.headers.items()},
        "cookies": cookies,
        "body": _blank(body.replace(shown, 'value="<typed email>"')),
    }
