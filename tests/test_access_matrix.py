"""Who may call which URL: one table for every route of the project (pages, htmx
fragments, actions, the JSON API, Django's admin site), checked for six personas.

The table cannot go stale: ``test_every_route_has_access_expectations`` walks the
URL resolver (including the routes django-ninja generates) and fails, naming the
route, when one has no entry here, or when an entry names a route that is gone.
A new route therefore breaks the suite until someone writes down who may use it.

The world is the standard one (tests/personas.py): John's conversation is Sarah's,
Jane's is Mike's. Personas, for a route about John's conversation: ``customer`` is
John (the owner), ``other_customer`` Jane, ``staff`` Sarah (assignee), ``other_staff``
Mike, ``admin``. Routes without an id are about the caller's own things (Jane's chat
is her own). Each persona also reaches its own conversation on every id route, and
someone else's id answers exactly like a missing one.

Expectations: a status code, or LOGIN (302 to the login page). The API always answers
JSON: anonymous 401, the wrong role 403, "not yours" the same 404 as "not there".
SECURITY_CASES 1, 3, 4 (HTML and API), 8 (missing and forbidden ids look alike),
17 (GET on a changing endpoint is 405), 19 (an expired session on a fragment gets
HX-Redirect).
"""

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.personas import client_for

LOGIN = "login"
PERSONAS = ("anonymous", "customer", "other_customer", "staff", "other_staff", "admin")
# Who plays each part in the standard world, and the conversation that is their own.
PLAYED_BY = {"anonymous": "anonymous", "customer": "john", "other_customer": "jane",
             "staff": "sarah", "other_staff": "mike", "admin": "admin"}
OWN_CONVERSATION = {"customer": "johns", "other_customer": "janes", "staff": "johns",
                    "other_staff": "janes", "admin": "johns"}
MISSING_ID = 987654321
# The lists' search (issue 13): the same roles; what each finds is tested in
# conversations/tests/test_search.py.
SEARCH = {"q": "hello jane"}
# Django's admin site generates a route per model and action; its own permission
# check (User.is_staff, true for active admins only) guards them all alike.
DJANGO_ADMIN_PREFIX = "django-admin/"


@dataclass(frozen=True)
class Call:
    method: str
    expect: dict  # persona -> status or LOGIN
    data: dict = field(default_factory=dict)
    json: bool = False  # send data as a JSON body (the API)


def everyone(status):
    return dict.fromkeys(PERSONAS, status)


def signed_in(status, *, anonymous=LOGIN):
    return {**everyone(status), "anonymous": anonymous}


def customers(status, *, team=403, anonymous=LOGIN):
    return {"anonymous": anonymous, "customer": status, "other_customer": status,
            "staff": team, "other_staff": team, "admin": team}


def team(status, *, customers=403, anonymous=LOGIN):
    return {"anonymous": anonymous, "customer": customers, "other_customer": customers,
            "staff": status, "other_staff": status, "admin": status}


def admins(status, *, others=403, anonymous=LOGIN):
    return {**everyone(others), "anonymous": anonymous, "admin": status}


def staff_thread(status):
    """/staff/conversations/<John's>/…: the staff inbox is "assigned to me", for admins too."""
    return {"anonymous": LOGIN, "customer": 403, "other_customer": 403,
            "staff": status, "other_staff": 404, "admin": 404}


def api_thread(status):
    """/api/conversations/<John's>/messages: whoever can see the conversation."""
    return {"anonymous": 401, "customer": status, "other_customer": 404,
            "staff": status, "other_staff": 404, "admin": status}


def refused_get(expect_for_allowed_method):
    """GET on a POST-only route: 405 for everyone who could otherwise reach it."""
    return {persona: 405 for persona in expect_for_allowed_method}


INVITE = {"name": "Nina New", "email": "nina@example.test", "role": "customer", "company": "", "phone": ""}
REPLY = {"title": "Access check", "body": "Hello {customer.first_name}"}
MESSAGE = {"body": "Checking access", "client_token": "0b7d3b9e-8e0c-4a5e-9d6f-3f1d8b1a2c4e"}
# An internal note (issue 14): the team's switch beside Send. A customer posting one gets
# 403 with the reason, nothing stored (conversations/tests/test_notes.py).
NOTE = {"body": "Checking a note", "internal": "on", "client_token": "1c8e4c0f-9f1d-4b6f-8e70-4a2e9c2b3d5f"}

# route (as the resolver spells it) -> the calls made and who gets what.
ROUTES = {
    "": [Call("GET", everyone(302))],
    "healthz": [Call("GET", everyone(200)), Call("POST", everyone(405))],
    "accounts/login/": [Call("GET", signed_in(302, anonymous=200))],
    "accounts/logout/": [Call("GET", everyone(405)), Call("POST", everyone(302))],
    "accounts/password/": [Call("GET", signed_in(200))],
    "accounts/password/done/": [Call("GET", signed_in(200))],
    "accounts/home/": [Call("GET", signed_in(302))],
    # Password reset and invitations are public by design; they reveal nothing (the same
    # answer for any address; a bad, used or expired link answers 400 with a page saying
    # so): accounts/tests/test_password_reset.py, test_invitations.py.
    "accounts/password/reset/": [Call("GET", everyone(200)),
                                 Call("POST", everyone(302), data={"email": "john@example.test"}),
                                 Call("POST", everyone(400), data={"email": "not an address"}),
                                 Call("PUT", everyone(405))],
    "accounts/password/reset/sent/": [Call("GET", everyone(200))],
    "accounts/password/reset/<uidb64>/<token>/": [Call("GET", everyone(400)), Call("POST", everyone(400))],
    "accounts/password/reset/complete/": [Call("GET", everyone(200))],
    "accounts/invitation/<uidb64>/<token>/": [Call("GET", everyone(400)), Call("POST", everyone(400)),
                                              Call("PUT", everyone(405))],
    # Customer portal
    "portal/chat/": [Call("GET", customers(200))],
    "portal/chat/messages/": [Call("GET", customers(200), data={"after": 0})],
    "portal/chat/send/": [Call("POST", customers(302), data=MESSAGE), Call("GET", refused_get(PERSONAS)),
                          Call("POST", customers(403), data=NOTE)],
    "portal/attention/": [Call("GET", customers(200)), Call("POST", everyone(405))],
    # Staff inbox
    "staff/": [Call("GET", team(302))],
    "staff/conversations/": [Call("GET", team(200)), Call("GET", team(200), data=SEARCH)],
    "staff/conversations/rows/": [Call("GET", team(200)), Call("GET", team(200), data=SEARCH)],
    "staff/conversations/<int:pk>/": [Call("GET", staff_thread(200))],
    "staff/conversations/<int:pk>/messages/": [Call("GET", staff_thread(200), data={"after": 0})],
    "staff/conversations/<int:pk>/reply/": [Call("POST", staff_thread(302), data=MESSAGE),
                                            Call("GET", refused_get(PERSONAS)),
                                            Call("POST", staff_thread(302), data=NOTE)],
    "staff/conversations/<int:pk>/status/": [Call("POST", staff_thread(302), data={"status": "PENDING"}),
                                             Call("GET", refused_get(PERSONAS))],
    "staff/conversations/<int:pk>/snooze/": [Call("POST", staff_thread(302), data={"preset": "hour"}),
                                             Call("POST", staff_thread(400), data={"preset": "never"}),
                                             Call("GET", refused_get(PERSONAS))],
    "staff/tickets/": [Call("GET", team(200))],
    "staff/attention/": [Call("GET", team(200)), Call("POST", everyone(405))],
    # Canned replies (issue 14). <int:pk> is Sarah's personal reply: Mike and the admin
    # get 404 (not theirs), like a missing id; shared replies: replies/tests/.
    "staff/replies/": [Call("GET", team(200)), Call("POST", everyone(405))],
    "staff/replies/new/": [Call("POST", team(302), data=REPLY), Call("POST", team(400), data={**REPLY, "title": ""}),
                           Call("GET", refused_get(PERSONAS))],
    "staff/replies/<int:pk>/edit/": [Call("GET", staff_thread(200)), Call("POST", staff_thread(302), data=REPLY),
                                     Call("POST", staff_thread(400), data={**REPLY, "body": ""}),
                                     Call("PUT", everyone(405))],
    "staff/replies/<int:pk>/delete/": [Call("POST", staff_thread(302)), Call("GET", refused_get(PERSONAS))],
    # The picker's JSON: whoever sees the conversation (Sarah is John's assignee; admins see all).
    "staff/conversations/<int:pk>/replies/": [Call("GET", {**team(200), "other_staff": 404}),
                                              Call("POST", everyone(405))],
    # Automatic assignment (issue 14): each team member's own switch; bad input 400.
    "staff/availability/": [Call("POST", team(302), data={"available": "on"}),
                            Call("POST", team(400), data={"available": "maybe"}),
                            Call("GET", refused_get(PERSONAS))],
    # Admin console
    "admin/": [Call("GET", admins(302))],
    "admin/conversations/": [Call("GET", admins(200)), Call("GET", admins(200), data=SEARCH)],
    "admin/conversations/rows/": [Call("GET", admins(200)), Call("GET", admins(200), data=SEARCH)],
    "admin/conversations/bulk/confirm/": [Call("POST", admins(200), data={"ids": "conversation", "status": "PENDING"}),
                                          Call("GET", refused_get(PERSONAS))],
    "admin/conversations/bulk/": [Call("POST", admins(302), data={"ids": "conversation", "status": "PENDING"}),
                                  Call("GET", refused_get(PERSONAS))],
    "admin/conversations/<int:pk>/": [Call("GET", admins(200))],
    "admin/conversations/<int:pk>/messages/": [Call("GET", admins(200), data={"after": 0})],
    "admin/conversations/<int:pk>/reply/": [Call("POST", admins(302), data=MESSAGE),
                                            Call("GET", refused_get(PERSONAS)),
                                            Call("POST", admins(302), data=NOTE)],
    "admin/conversations/<int:pk>/assign/": [Call("POST", admins(302), data={"assigned_to": "staff"}),
                                             Call("GET", refused_get(PERSONAS))],
    "admin/conversations/<int:pk>/status/": [Call("POST", admins(302), data={"status": "PENDING"}),
                                             Call("GET", refused_get(PERSONAS))],
    "admin/conversations/<int:pk>/snooze/": [Call("POST", admins(302), data={"preset": "tomorrow"}),
                                             Call("POST", admins(400), data={"preset": "custom", "until": "2001-01-01T09:00"}),
                                             Call("GET", refused_get(PERSONAS))],
    "admin/conversations/<int:pk>/priority/": [Call("POST", admins(302), data={"priority": "high"}),
                                               Call("GET", refused_get(PERSONAS))],
    # A lead conversation's panel (issue 12). <int:pk> is Alice the lead's conversation
    # (LEAD_THREAD_ROUTES); "conversation" in the data is John's, which is not Alice's.
    "admin/conversations/<int:pk>/lead-status/": [Call("POST", admins(302), data={"status": "qualified"}),
                                                  Call("POST", admins(400), data={"status": "won"}),
                                                  Call("GET", refused_get(PERSONAS))],
    "admin/conversations/<int:pk>/make-customer/": [
        Call("POST", admins(302), data={"conversation": "lead_conversation"}),
        Call("POST", admins(400), data={"conversation": "conversation"}),
        Call("GET", refused_get(PERSONAS)),
    ],
    "admin/tickets/": [Call("GET", admins(200))],
    "admin/leads/": [Call("GET", admins(200))],
    "admin/leads/<int:pk>/status/": [Call("POST", admins(302), data={"status": "contacted"}),
                                     Call("GET", refused_get(PERSONAS))],
    "admin/leads/<int:pk>/conversation/": [Call("POST", admins(302)),
                                           Call("GET", refused_get(PERSONAS))],
    "admin/people/": [Call("GET", admins(200))],
    "admin/assignment/": [Call("GET", admins(200)), Call("POST", everyone(405))],
    "admin/assignment/mode/": [Call("POST", admins(302), data={"mode": "round_robin"}),
                               Call("POST", admins(400), data={"mode": "fastest"}),
                               Call("GET", refused_get(PERSONAS))],
    # <int:pk> is John, a customer: he has no capacity (400); bad numbers are 400 too.
    "admin/people/<int:pk>/capacity/": [Call("POST", admins(400), data={"capacity": 5}),
                                        Call("POST", admins(400), data={"capacity": 0}),
                                        Call("GET", refused_get(PERSONAS))],
    "admin/people/invite/": [Call("POST", admins(302), data=INVITE),
                             Call("POST", admins(400), data={**INVITE, "email": "john@example.test"}),
                             Call("POST", admins(400), data={**INVITE, "role": "superuser"}),
                             Call("GET", refused_get(PERSONAS))],
    # <int:pk> is John (a person, not a conversation); the admin's own id is refused (400).
    "admin/people/<int:pk>/deactivate/": [Call("POST", admins(302)), Call("GET", refused_get(PERSONAS))],
    "admin/people/<int:pk>/reactivate/": [Call("POST", admins(302)), Call("GET", refused_get(PERSONAS))],
    # John has a password: there is no pending invitation to send again.
    "admin/people/<int:pk>/invitation/": [Call("POST", admins(400)), Call("GET", refused_get(PERSONAS))],
    # Email settings (issue 11): everyone signed in, for themselves.
    "notifications/preferences/": [Call("GET", signed_in(200)),
                                   Call("POST", signed_in(302), data={"notify_messages": "on", "time_zone": "UTC"}),
                                   Call("PUT", {**signed_in(405), "anonymous": 405})],
    # One-click unsubscribe: the signed token (John's, here) is the credential, no session needed.
    "notifications/unsubscribe/<str:token>/": [Call("GET", everyone(200)), Call("POST", everyone(200)),
                                               Call("PUT", everyone(405))],
    # The public contact chat (issue 12): anyone, signed in or not, is a visitor here. Without
    # a visitor cookie the poll is an empty 204 and send / "email me a link" are 404; the form
    # without a proof of work is 400. With a cookie: test_a_visitor_cookie_opens_the_contact_routes
    # below, and leads/tests/test_visitor_access.py.
    "contact/": [Call("GET", everyone(200)), Call("POST", everyone(405))],
    "contact/widget/": [Call("GET", everyone(200)), Call("POST", everyone(405))],
    "contact/start/": [Call("POST", everyone(400), data={"name": "Vera", "email": "vera@visitor.test",
                                                        "body": "Hello"}),
                       Call("GET", everyone(405))],
    "contact/messages/": [Call("GET", everyone(204), data={"after": 0}), Call("POST", everyone(405))],
    "contact/send/": [Call("POST", everyone(404), data=MESSAGE), Call("GET", everyone(405))],
    "contact/continue/": [Call("POST", everyone(404)), Call("GET", everyone(405))],
    # The emailed link: GET shows a button (spends nothing); a forged token's POST is 400.
    "contact/continue/<str:token>/": [Call("GET", everyone(200)), Call("POST", everyone(400)),
                                      Call("PUT", everyone(405))],
    # JSON API: anonymous is 401 JSON, never a login page (SECURITY_CASES 4)
    "api/": [Call("GET", everyone(404))],
    "api/openapi.json": [Call("GET", everyone(200))],
    "api/docs": [Call("GET", everyone(200))],
    "api/admin/conversations": [
        Call("GET", admins(200, anonymous=401)),
        Call("GET", admins(200, anonymous=401), data=SEARCH),
        Call("PATCH", admins(200, anonymous=401), data={"conversation_id": "conversation", "status": "PENDING"},
             json=True),
    ],
    "api/admin/conversations/bulk": [
        Call("PATCH", admins(200, anonymous=401), data={"ids": ["conversation"], "status": "PENDING"}, json=True),
        Call("GET", {**everyone(405)}),
    ],
    "api/admin/staff": [Call("GET", admins(200, anonymous=401))],
    "api/staff/conversations": [Call("GET", team(200, anonymous=401)),
                                Call("GET", team(200, anonymous=401), data=SEARCH)],
    "api/portal/conversation": [Call("GET", customers(200, anonymous=401))],
    "api/conversations/<int:conversation_id>/messages": [
        Call("GET", api_thread(200)),
        Call("POST", api_thread(201), data={"body": "Checking access"}, json=True),
        # An internal note: the team only; John (who sees the conversation) 403, nothing stored.
        Call("POST", {**api_thread(201), "customer": 403}, data={"body": "Checking a note", "internal": True},
             json=True),
        Call("DELETE", {**api_thread(405), "anonymous": 405, "other_customer": 405, "other_staff": 405}),
    ],
    # The live stream is served by the live process (ASGI); under WSGI, as here, everyone gets
    # 503 and the page keeps polling. Its real matrix runs against the live process:
    # live/tests/test_stream.py.
    "live/stream": [Call("GET", everyone(503)), Call("POST", everyone(503))],
    # Django's admin site (/django-admin/): admins only, the rest go to its login page.
    DJANGO_ADMIN_PREFIX: [Call("GET", {**everyone(302), "admin": 200})],
}

# Routes about a lead's conversation: their <int:pk> is Alice's (the lead's), not John's.
LEAD_THREAD_ROUTES = {"admin/conversations/<int:pk>/lead-status/", "admin/conversations/<int:pk>/make-customer/"}

# Django's admin site pages checked besides its index (the lockouts admins clear).
DJANGO_ADMIN_PAGES = ["django-admin/axes/accessattempt/", "django-admin/axes/accessfailurelog/",
                      "django-admin/accounts/user/"]


def _walk(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def project_routes() -> set[str]:
    """Every route the project answers, with Django's admin site as one entry."""
    routes = set()
    for route in _walk(get_resolver().url_patterns):
        routes.add(DJANGO_ADMIN_PREFIX if route.startswith(DJANGO_ADMIN_PREFIX) else route)
    return routes


def test_every_route_has_access_expectations():
    routes = project_routes()
    missing = sorted(routes - ROUTES.keys())
    stale = sorted(ROUTES.keys() - routes)
    assert not missing, f"routes without access expectations in {__name__}.ROUTES: {missing}"
    assert not stale, f"ROUTES names routes the project no longer has: {stale}"


def test_the_walk_sees_the_api_and_django_admin_routes():
    # Guards the guard: if the walk stopped descending into includes, the test above
    # would pass on an empty set.
    routes = project_routes()
    assert {"api/conversations/<int:conversation_id>/messages", "staff/conversations/<int:pk>/reply/",
            DJANGO_ADMIN_PREFIX, "healthz"} <= routes


def persona_client(world, persona):
    return client_for(world[PLAYED_BY[persona]])


def _url(route, world, *, missing=False, conversation="johns"):
    if route == DJANGO_ADMIN_PREFIX:
        return "/" + route
    target = MISSING_ID if missing else None
    own = world["alice"].pk if "leads/" in route else world["john"].pk if "people/" in route else world[conversation].pk
    if route.startswith("staff/replies/"):
        own = _sarahs_reply(world).pk
    if route in LEAD_THREAD_ROUTES:
        own = world["alices"].pk
    path = route.replace("<int:pk>", str(target or own))
    # A well-formed link for the first account, with a token that is not its token.
    path = path.replace("<uidb64>", "MQ").replace("<token>", "c0ffee-0123456789abcdef0123456789abcdef")
    path = path.replace("<int:conversation_id>", str(target or world[conversation].pk))
    if "<str:token>" in path:
        from notifications.tokens import make_unsubscribe_token

        path = path.replace("<str:token>", make_unsubscribe_token(world["john"], "notify_messages"))
    return "/" + path


def _sarahs_reply(world):
    from replies.models import CannedReply

    reply, _ = CannedReply.objects.get_or_create(owner=world["sarah"], title="Sarah's own", defaults={"body": "Hi"})
    return reply


def _data(call, world, conversation="johns"):
    values = {"conversation": world[conversation].pk, "staff": world["sarah"].pk,
              "lead_conversation": world["alices"].pk}
    def resolve(value):
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return values.get(value, value) if isinstance(value, str) else value

    return {key: resolve(value) for key, value in call.data.items()}


def request(client, call, url, data):
    method = call.method.lower()
    if call.json:
        import json

        return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
    if method == "get":
        return client.get(url, data)
    if method == "post":
        return client.post(url, data)
    return getattr(client, method)(url)


def check(response, expected, *, label):
    if expected == LOGIN:
        assert response.status_code == 302, f"{label}: {response.status_code}"
        assert response["Location"].startswith("/accounts/login/?next="), f"{label}: {response['Location']}"
    else:
        assert response.status_code == expected, f"{label}: expected {expected}, got {response.status_code}"


MATRIX = [
    pytest.param(route, index, persona, id=f"{call.method} /{route} as {persona}")
    for route, calls in ROUTES.items()
    for index, call in enumerate(calls)
    for persona in PERSONAS
]


@pytest.mark.parametrize("route, index, persona", MATRIX)
def test_access_matrix(world, route, index, persona):
    call = ROUTES[route][index]
    response = request(persona_client(world, persona), call, _url(route, world), _data(call, world))
    check(response, call.expect[persona], label=f"{call.method} /{route} as {persona}")
    if response.status_code in (401, 403, 404, 405):
        # Nothing of John's leaks into a refusal.
        for secret in (b"Hello from John", b"john@example.test", b"Hi John"):
            assert secret not in response.content
    if route.startswith("api/") and route not in ("api/", "api/docs"):
        assert response["Content-Type"].startswith("application/json")
        if response.status_code >= 400:
            assert isinstance(response.json()["detail"], str)
        if response.status_code == 404:
            assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("route", [route for route in ROUTES if "<int:" in route and "leads/" not in route
                                   and "people/" not in route and not route.startswith("staff/replies/")
                                   and route not in LEAD_THREAD_ROUTES])
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_each_persona_reaches_its_own_conversation_on_every_id_route(world, route, persona):
    """The other side of the matrix: Jane and Mike (whose conversation John's is not) reach
    their own on every route their role may use."""
    call = ROUTES[route][0]
    expected = call.expect[{"other_customer": "customer", "other_staff": "staff"}.get(persona, persona)]
    own = OWN_CONVERSATION[persona]
    response = request(persona_client(world, persona), call, _url(route, world, conversation=own), _data(call, world, own))
    check(response, expected, label=f"{call.method} /{route} as {persona} on their own conversation")


ID_ROUTES = [route for route in ROUTES if "<int:" in route]


@pytest.mark.parametrize("route", ID_ROUTES)
@pytest.mark.parametrize("persona", ["other_customer", "other_staff", "admin"])
def test_someone_elses_id_answers_exactly_like_a_missing_id(world, route, persona):
    """SECURITY_CASES 1, 3, 8: "not yours" and "not there" cannot be told apart."""
    call = ROUTES[route][0]
    client = persona_client(world, persona)
    theirs = request(client, call, _url(route, world), _data(call, world))
    missing = request(client, call, _url(route, world, missing=True), _data(call, world))
    if theirs.status_code != 404:
        assert missing.status_code == 404 or missing.status_code == theirs.status_code == 403
        return
    assert missing.status_code == 404
    assert theirs.content == missing.content


@pytest.mark.parametrize("page", DJANGO_ADMIN_PAGES)
@pytest.mark.parametrize("persona", PERSONAS)
def test_django_admin_site_is_for_admins_only(world, page, persona):
    response = persona_client(world, persona).get("/" + page)
    if persona == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/django-admin/login/")


FRAGMENT_ROUTES = [
    route for route, calls in ROUTES.items()
    # The contact chat's poll has no session to expire: a visitor without a cookie gets 204.
    if route.endswith(("messages/", "rows/")) and calls[0].method == "GET" and not route.startswith("contact/")
]


@pytest.mark.parametrize("route", FRAGMENT_ROUTES)
def test_an_expired_session_on_a_fragment_sends_the_browser_to_the_login_page(world, route):
    """SECURITY_CASES 19: htmx gets HX-Redirect (to the page the user was on), never a
    login form to swap into the chat."""
    call = ROUTES[route][0]
    response = client_for(None).get(
        _url(route, world), _data(call, world),
        HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/somewhere/?x=1",
    )
    assert response.status_code == 204
    assert response.content == b""
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fsomewhere%2F%3Fx%3D1"


@pytest.mark.parametrize("route", ["portal/chat/send/", "staff/conversations/<int:pk>/reply/",
                                   "admin/conversations/<int:pk>/reply/"])
def test_an_expired_session_on_send_redirects_and_writes_nothing(world, route):
    from conversations.models import Message

    before = Message.objects.count()
    response = client_for(None).post(_url(route, world), MESSAGE, HTTP_HX_REQUEST="true",
                                     HTTP_HX_CURRENT_URL="http://testserver/portal/chat/")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")
    assert "HX-Trigger" not in response  # no silent "sent"
    assert Message.objects.count() == before


# --- A website visitor (issue 12): the cookie for Alice's conversation ------------------

VISITOR_WITH_COOKIE = {
    "contact/": [("GET", {}, 200)],
    "contact/widget/": [("GET", {}, 200)],
    "contact/messages/": [("GET", {"after": 0}, 200)],
    "contact/send/": [("POST", MESSAGE, 302)],
    "contact/continue/": [("POST", {}, 302)],
}


def _visitor_client(world):
    from django.test import Client

    from leads.visitor import VISITOR_COOKIE_NAME, visitor_pass_issue

    client = Client()
    client.cookies[VISITOR_COOKIE_NAME] = visitor_pass_issue(conversation=world["alices"])
    return client


@pytest.mark.parametrize("route", sorted(VISITOR_WITH_COOKIE))
def test_a_visitor_cookie_opens_the_contact_routes(world, route):
    client = _visitor_client(world)
    for method, data, expected in VISITOR_WITH_COOKIE[route]:
        response = getattr(client, method.lower())("/" + route, data)
        assert response.status_code == expected, f"{method} /{route} with a visitor cookie: {response.status_code}"
        for secret in (b"Hello from John", b"Hello from Jane", b"john@example.test"):
            assert secret not in response.content


MATRIX_ANONYMOUS = [
    pytest.param(route, index, id=f"{call.method} /{route}")
    for route, calls in ROUTES.items() if not route.startswith("contact/")
    for index, call in enumerate(calls)
]


@pytest.mark.parametrize("route, index", MATRIX_ANONYMOUS)
def test_a_visitor_cookie_is_anonymous_everywhere_else(world, route, index):
    """SECURITY_CASES 36: the cookie opens no list, no portal, none of the API's routes."""
    call = ROUTES[route][index]
    response = request(_visitor_client(world), call, _url(route, world, conversation="alices"),
                       _data(call, world, "alices"))
    check(response, call.expect["anonymous"], label=f"{call.method} /{route} with a visitor cookie")
    assert b"Hello from Alice" not in response.content


# --- internal notes never reach a participant (issue 14, SECURITY_CASES 39) -------------

NOTE_SECRET = "zanzibar-note-for-the-team-only"


@pytest.mark.parametrize("route", [route for route, calls in ROUTES.items()
                                   if any(call.method == "GET" for call in calls)])
@pytest.mark.parametrize("persona", ["anonymous", "customer", "other_customer"])
def test_no_route_shows_a_note_to_anyone_outside_the_team(world, route, persona):
    """Every GET of every route, as the customer whose conversation holds notes (John),
    another customer and an anonymous visitor: the note's text is in no answer."""
    from conversations.services import conversation_post_message

    for author, conversation in (("admin", "johns"), ("sarah", "johns"), ("mike", "janes")):
        conversation_post_message(actor=world[author], conversation=world[conversation],
                                  body=f"{NOTE_SECRET} by {author}", internal=True)
    client = persona_client(world, persona)
    for call in ROUTES[route]:
        if call.method != "GET":
            continue
        response = request(client, call, _url(route, world), _data(call, world))
        assert NOTE_SECRET.encode() not in response.content, f"GET /{route} as {persona}"
        # The customer's own thread: the poll from the start and the earlier page, too.
        if persona == "customer" and route == "portal/chat/messages/":
            for query in ({"after": 0}, {"before": 10}):
                assert NOTE_SECRET.encode() not in client.get(_url(route, world), query).content
