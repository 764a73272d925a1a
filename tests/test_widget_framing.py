"""Who may frame what (issue 12; SECURITY_CASES 38): the contact chat's widget page names
WIDGET_ALLOWED_ORIGINS as its frame-ancestors (nobody when empty); every other page keeps
frame-ancestors 'none' and X-Frame-Options DENY, whatever the setting says."""

import pytest
from django.test import Client

from designpi.framing import widget_origins_check
from leads.tests.visitors import contact_data
from tests.test_access_matrix import PERSONAS, ROUTES, _data, _url, persona_client
from tests.test_security_headers import csp_directives

ORIGINS = ["https://www.example.com", "https://*.shop.example", "http://localhost:3000"]


@pytest.mark.django_db
def test_by_default_nobody_may_frame_the_widget():
    response = Client().get("/contact/widget/")
    assert response.status_code == 200
    assert csp_directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_widget_may_be_framed_by_the_allowed_origins_only(settings):
    settings.WIDGET_ALLOWED_ORIGINS = ORIGINS
    response = Client().get("/contact/widget/")
    directives = csp_directives(response)
    assert directives["frame-ancestors"] == ORIGINS
    assert "X-Frame-Options" not in response  # CSP says who may; DENY would refuse them all
    # The rest of the policy stays strict; the proof of work may start workers from blob: URLs.
    assert directives["script-src"] == ["'self'"] and directives["object-src"] == ["'none'"]
    assert directives["worker-src"] == ["'self'", "blob:"]


@pytest.mark.django_db
def test_a_form_answer_rendered_into_the_frame_is_framable_and_the_full_page_is_not(settings):
    settings.WIDGET_ALLOWED_ORIGINS = ORIGINS
    framed = Client().post("/contact/start/", {**contact_data(), "altcha": "", "embedded": "1"})
    assert framed.status_code == 400
    assert csp_directives(framed)["frame-ancestors"] == ORIGINS
    full = Client().post("/contact/start/", {**contact_data(), "altcha": ""})
    assert full.status_code == 400
    assert csp_directives(full)["frame-ancestors"] == ["'none'"] and full["X-Frame-Options"] == "DENY"


GET_CALLS = [
    pytest.param(route, index, persona, id=f"/{route} as {persona}")
    for route, calls in ROUTES.items() if route != "contact/widget/"
    for index, call in enumerate(calls) if call.method == "GET"
    for persona in ("anonymous", "customer", "admin")
]


@pytest.mark.parametrize("route, index, persona", GET_CALLS)
def test_every_other_page_refuses_to_be_framed_even_with_origins_set(settings, world, route, index, persona):
    assert persona in PERSONAS
    settings.WIDGET_ALLOWED_ORIGINS = ORIGINS
    call = ROUTES[route][index]
    response = persona_client(world, persona).get(_url(route, world), _data(call, world))
    if not response.get("Content-Type", "").startswith("text/html") or response.status_code in (204, 302):
        return
    assert csp_directives(response)["frame-ancestors"] == ["'none'"], route
    assert response["X-Frame-Options"] == "DENY", route


def test_the_system_check_refuses_what_is_not_an_origin(settings):
    settings.WIDGET_ALLOWED_ORIGINS = ORIGINS
    assert widget_origins_check() == []
    settings.WIDGET_ALLOWED_ORIGINS = ["*", "https://a.example/page", "www.example.com", "'self'",
                                       "https://ok.example; script-src *"]
    errors = widget_origins_check()
    assert [error.id for error in errors] == ["designpi.E010"] * 5
