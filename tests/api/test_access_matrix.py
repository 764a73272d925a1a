"""Every route × every persona × own / other / missing conversation (house style 11).

Columns: admin, Sarah (staff), Mike (staff), John (customer), Jane (customer), anonymous.
"own" is a conversation the persona may see, "other" one that belongs to someone
else (for the admin, who sees everything, it is still visible), "missing" an id
that does not exist. Anonymous is always 401 JSON; the wrong role 403; what the
caller may not see 404, exactly like a missing id.
"""

import pytest

from .conftest import MISSING_ID, api_client, call, messages_url

PERSONAS = ("admin", "sarah", "mike", "john", "jane", "anonymous")
OWN = {"admin": "johns", "sarah": "johns", "mike": "janes", "john": "johns", "jane": "janes", "anonymous": "johns"}
OTHER = {"admin": "janes", "sarah": "janes", "mike": "johns", "john": "janes", "jane": "johns", "anonymous": "janes"}

# (method, route, target)                              admin sarah mike john jane anon
MATRIX = [
    ("GET", "/api/admin/conversations", None,           (200, 403, 403, 403, 403, 401)),
    ("PATCH", "/api/admin/conversations", "own",        (200, 403, 403, 403, 403, 401)),
    ("PATCH", "/api/admin/conversations", "other",      (200, 403, 403, 403, 403, 401)),
    ("PATCH", "/api/admin/conversations", "missing",    (404, 403, 403, 403, 403, 401)),
    ("GET", "/api/staff/conversations", None,           (200, 200, 200, 403, 403, 401)),
    ("GET", "messages", "own",                          (200, 200, 200, 200, 200, 401)),
    ("GET", "messages", "other",                        (200, 404, 404, 404, 404, 401)),
    ("GET", "messages", "missing",                      (404, 404, 404, 404, 404, 401)),
    ("POST", "messages", "own",                         (201, 201, 201, 201, 201, 401)),
    ("POST", "messages", "other",                       (201, 404, 404, 404, 404, 401)),
    ("POST", "messages", "missing",                     (404, 404, 404, 404, 404, 401)),
    ("GET", "/api/portal/conversation", None,           (403, 403, 403, 200, 200, 401)),
    ("GET", "/api/admin/staff", None,                   (200, 403, 403, 403, 403, 401)),
]

CELLS = [
    pytest.param(method, route, target, persona, expected[i], id=f"{method} {route} {target or ''} as {persona} -> {expected[i]}")
    for method, route, target, expected in MATRIX
    for i, persona in enumerate(PERSONAS)
]


def _target_id(world, persona, target):
    if target == "missing":
        return MISSING_ID
    return world[{"own": OWN, "other": OTHER}[target][persona]].pk


@pytest.mark.parametrize("method, route, target, persona, expected", CELLS)
def test_access_matrix(world, method, route, target, persona, expected):
    client = api_client(world[persona])
    body = None
    if route == "messages":
        path = messages_url(_target_id(world, persona, target))
        body = {"body": "Matrix message"} if method == "POST" else None
    else:
        path = route
        if method == "PATCH":
            body = {"conversation_id": _target_id(world, persona, target), "status": "PENDING"}

    response = call(client, method, path, body)

    assert response.status_code == expected, response.content
    assert response["Content-Type"].startswith("application/json")
    payload = response.json()
    if expected >= 400:
        assert isinstance(payload["detail"], str)
    if expected == 404:
        # "Not yours" reads exactly like "does not exist" (SPEC §4.6).
        assert payload == {"detail": "Not found."}
    if expected in (401, 403, 404):
        body_text = response.content.decode()
        for other in ("john@example.test", "jane@example.test", "Hello from"):
            assert other not in body_text
