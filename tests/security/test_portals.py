"""The portals' and the API's own promises, on every path that shows or takes a
message: output escaping (SECURITY_CASES 13, 14), CSRF on forms (16), polls change
nothing but read marks (17), body limits and bad input (28, 29, 30), the posting
rate limit (429), a reassignment taking effect at once (5) and badges (6)."""

import json
import re

import pytest
from django.test import Client
from django.utils.html import escape

from conversations.models import MESSAGE_MAX_LENGTH, Conversation, Message
from conversations.services import conversation_assign, conversation_post_message, conversation_start_for_lead
from tests.factories import LeadFactory
from tests.personas import client_for
from tickets.models import SupportTicket

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "<div hx-get=/accounts/logout/ hx-trigger=load>x</div>",
]
LINKS = ["javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
         '<a href="javascript:alert(1)">click</a>']
TOKEN = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"


def send_paths(world):
    pk = world["johns"].pk
    return {
        "portal form": ("john", "/portal/chat/send/", False),
        "staff form": ("sarah", f"/staff/conversations/{pk}/reply/", False),
        "console form": ("admin", f"/admin/conversations/{pk}/reply/", False),
        "api": ("john", f"/api/conversations/{pk}/messages", True),
    }


def post_body(client, path, is_api, body, **extra):
    if is_api:
        return client.post(path, json.dumps({"body": body}), content_type="application/json", **extra)
    return client.post(path, {"body": body, "client_token": TOKEN}, HTTP_HX_REQUEST="true", **extra)


def pages_showing_johns_thread(world):
    pk = world["johns"].pk
    return {
        "portal chat": ("john", "/portal/chat/", {}),
        "portal poll": ("john", "/portal/chat/messages/", {"after": 0}),
        "staff list": ("sarah", "/staff/conversations/", {}),
        "staff rows": ("sarah", "/staff/conversations/rows/", {}),
        "staff thread": ("sarah", f"/staff/conversations/{pk}/", {}),
        "staff poll": ("sarah", f"/staff/conversations/{pk}/messages/", {"after": 0}),
        "console list": ("admin", "/admin/conversations/", {}),
        "console rows": ("admin", "/admin/conversations/rows/", {}),
        "console thread": ("admin", f"/admin/conversations/{pk}/", {}),
        "console poll": ("admin", f"/admin/conversations/{pk}/messages/", {"after": 0}),
        "staff tickets": ("sarah", "/staff/tickets/", {}),
        "console tickets": ("admin", "/admin/tickets/", {}),
        "console people": ("admin", "/admin/people/", {}),
    }


def pages_showing_the_lead(world, lead_conversation):
    return {
        "console leads": ("admin", "/admin/leads/", {}),
        "console lead thread": ("admin", f"/admin/conversations/{lead_conversation.pk}/", {}),
        "console lead poll": ("admin", f"/admin/conversations/{lead_conversation.pk}/messages/", {"after": 0}),
    }


# Where each marked-up text must be shown (escaped), so the test cannot pass because
# a page stopped showing it; every page is checked for live markup either way.
SHOWN_ON = {
    "customer-name": ["staff list", "staff thread", "console list", "console thread", "console people"],
    "customer-company": ["staff thread", "console thread", "console people"],
    "staff-name": ["portal chat", "portal poll", "console thread", "console people"],
    "lead-name": ["console leads", "console lead thread", "console list"],
    "lead-company": ["console leads", "console lead thread"],
    "lead-notes": ["console leads"],
    "body": ["portal chat", "portal poll", "staff thread", "staff poll", "console thread", "console poll"],
}


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_messages_and_names_is_shown_as_text_everywhere(world, payload):
    """SECURITY_CASES 13: the customer's name and company, the name of the team member
    the customer sees looking after them and replying, a lead's name, company and
    notes, and message bodies. Each text carries its own tag, so every page's
    expected text is checked one by one."""
    text = {tag: f"{payload} {tag}" for tag in SHOWN_ON}
    john, sarah = world["john"], world["sarah"]
    john.name, john.company = text["customer-name"], text["customer-company"]
    john.save(update_fields=["name", "company"])
    sarah.name = text["staff-name"]
    sarah.save(update_fields=["name"])
    lead = LeadFactory(name=text["lead-name"], company=text["lead-company"], notes=text["lead-notes"])
    lead_conversation = conversation_start_for_lead(actor=world["admin"], lead=lead)
    conversation_post_message(actor=world["admin"], conversation=lead_conversation, body=text["body"])
    conversation_post_message(actor=john, conversation=world["johns"], body=text["body"])
    conversation_post_message(actor=sarah, conversation=world["johns"], body=f"reply {text['body']}")
    pages = {**pages_showing_johns_thread(world), **pages_showing_the_lead(world, lead_conversation)}
    for label, (who, path, query) in pages.items():
        response = client_for(world[who]).get(path, query)
        assert response.status_code == 200, label
        body = response.content.decode()
        assert payload not in body, label
        for live in ("<script>alert", "<img src=x", "<svg onload", "<div hx-get=/accounts"):
            assert live not in body, (label, live)
        for tag, labels in SHOWN_ON.items():
            if label in labels:
                assert escape(text[tag]) in body, (label, tag)


@pytest.mark.parametrize("payload", LINKS)
def test_javascript_and_data_urls_are_never_live_links(world, payload):
    """SECURITY_CASES 14."""
    conversation_post_message(actor=world["john"], conversation=world["johns"], body=payload)
    for label, (who, path, query) in pages_showing_johns_thread(world).items():
        body = client_for(world[who]).get(path, query).content.decode().lower()
        assert 'href="javascript:' not in body and "href='javascript:" not in body, label
        assert 'href="data:' not in body and 'src="data:text' not in body, label


def test_api_returns_markup_as_json_text(world):
    conversation_post_message(actor=world["john"], conversation=world["johns"], body=XSS[0])
    response = client_for(world["john"]).get(f"/api/conversations/{world['johns'].pk}/messages")
    assert response["Content-Type"].startswith("application/json")
    assert XSS[0] in [item["body"] for item in response.json()["items"]]


# --- CSRF on the HTML forms (the API has its own tests in tests/api/test_security.py) ----

def html_changes(world):
    pk = world["johns"].pk
    return [
        ("john", "/portal/chat/send/", {"body": "csrf?", "client_token": TOKEN}),
        ("sarah", f"/staff/conversations/{pk}/reply/", {"body": "csrf?", "client_token": TOKEN}),
        ("sarah", f"/staff/conversations/{pk}/status/", {"status": "CLOSED"}),
        ("admin", f"/admin/conversations/{pk}/assign/", {"assigned_to": ""}),
        ("admin", f"/admin/conversations/{pk}/status/", {"status": "CLOSED"}),
        ("admin", f"/admin/conversations/{pk}/priority/", {"priority": "urgent"}),
        ("john", "/accounts/logout/", {}),
    ]


def state(world):
    conversation = Conversation.objects.get(pk=world["johns"].pk)
    ticket = SupportTicket.objects.get(conversation=conversation)
    return Message.objects.count(), conversation.status, conversation.assigned_to_id, ticket.priority


# Each persona's own page (where its forms live) and another signed-in person.
HOME_PAGE = {"john": "/portal/chat/", "jane": "/portal/chat/", "sarah": "/staff/conversations/",
             "mike": "/staff/conversations/", "admin": "/admin/conversations/"}
SOMEONE_ELSE = {"john": "jane", "sarah": "mike", "admin": "mike"}
CSRF_REFUSALS = {
    "no token": "CSRF token missing",
    "another session's token": "CSRF token from the 'X-Csrftoken' HTTP header incorrect",
    "foreign origin": "Origin checking failed",
}


def csrf_token_on_the_page(client, path) -> str:
    """The masked token a real page hands its scripts (htmx's X-CSRFToken header)."""
    page = client.get(path)
    assert page.status_code == 200, path
    match = re.search(r'hx-headers=\'\{"X-CSRFToken": "([A-Za-z0-9]{64})"\}\'', page.content.decode())
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.mark.parametrize("how", list(CSRF_REFUSALS))
def test_html_forms_refuse_requests_without_a_valid_csrf_token(world, how, caplog):
    """SECURITY_CASES 16. Each request is right in every way but one: the client has its
    own valid csrftoken cookie from a page it loaded, and then either sends no token,
    sends a real token from another signed-in person's page, or sends its own token
    from a foreign Origin. The refusal must name that one fault (logged by
    designpi.views.csrf_failure), never a missing cookie."""
    before = state(world)
    for who, path, data in html_changes(world):
        client = Client(enforce_csrf_checks=True)
        client.force_login(world[who])
        own_token = csrf_token_on_the_page(client, HOME_PAGE[who])
        assert client.cookies["csrftoken"].value
        extra = {}
        if how == "another session's token":
            other = Client()
            other.force_login(world[SOMEONE_ELSE[who]])
            extra["HTTP_X_CSRFTOKEN"] = csrf_token_on_the_page(other, HOME_PAGE[SOMEONE_ELSE[who]])
            assert extra["HTTP_X_CSRFTOKEN"] != own_token
        elif how == "foreign origin":
            extra = {"HTTP_X_CSRFTOKEN": own_token, "HTTP_ORIGIN": "https://evil.example"}
        caplog.clear()
        response = client.post(path, data, **extra)
        assert response.status_code == 403, (how, path, response.status_code)
        assert "DesignPi Support" in response.content.decode()
        refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("csrf refused")]
        assert len(refusals) == 1 and CSRF_REFUSALS[how] in refusals[0], (how, path, refusals)
    assert state(world) == before


def test_with_the_token_the_form_works(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["john"])
    client.get("/portal/chat/")
    response = client.post("/portal/chat/send/", {"body": "with token", "client_token": TOKEN},
                           HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 302


def test_polls_change_nothing_but_read_marks(world):
    """SECURITY_CASES 17. Jane's conversation is removed first, so her poll is one of a
    customer with no conversation yet: polling must not create one."""
    Conversation.objects.filter(pk=world["janes"].pk).delete()
    client_for(world["jane"]).get("/portal/chat/messages/", {"after": 0})
    assert not Conversation.objects.filter(customer=world["jane"]).exists()
    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="Reply")
    conversation = Conversation.objects.get(pk=world["johns"].pk)
    ticket = SupportTicket.objects.get(conversation=conversation)
    pk = conversation.pk
    for who, path in [("john", "/portal/chat/messages/"), ("sarah", f"/staff/conversations/{pk}/messages/"),
                      ("admin", f"/admin/conversations/{pk}/messages/"), ("sarah", f"/api/conversations/{pk}/messages")]:
        client_for(world[who]).get(path, {"after": 0})
    after = Conversation.objects.get(pk=pk)
    assert (after.status, after.last_seq, after.assigned_to_id) == (
        conversation.status, conversation.last_seq, conversation.assigned_to_id)
    assert SupportTicket.objects.get(pk=ticket.pk).updated_at == ticket.updated_at
    assert Message.objects.filter(conversation=conversation, read_at__isnull=True).count() == 0
    # The read marks move updated_at (issue 15: the other open lists see the read), and
    # only they do: polls that mark nothing more leave it where it is.
    assert after.updated_at > conversation.updated_at
    for who, path in [("john", "/portal/chat/messages/"), ("sarah", f"/staff/conversations/{pk}/messages/"),
                      ("admin", f"/admin/conversations/{pk}/messages/"), ("sarah", f"/api/conversations/{pk}/messages")]:
        client_for(world[who]).get(path, {"after": 0})
    assert Conversation.objects.get(pk=pk).updated_at == after.updated_at


# --- input on every path ---------------------------------------------------------------

@pytest.mark.parametrize("path_name", ["portal form", "staff form", "console form", "api"])
def test_message_body_limits_on_every_path(world, path_name):
    """SECURITY_CASES 28, 29."""
    who, path, is_api = send_paths(world)[path_name]
    client = client_for(world[who])
    before = Message.objects.count()
    for bad in ["x" * (MESSAGE_MAX_LENGTH + 1), "   \n\t  ", "", "nul \x00 inside", "bell \x07"]:
        response = post_body(client, path, is_api, bad)
        assert response.status_code == 400, (path_name, repr(bad[:20]), response.status_code)
    assert Message.objects.count() == before
    response = post_body(client, path, is_api, "y" * MESSAGE_MAX_LENGTH)
    assert response.status_code in (201, 204), response.status_code
    assert Message.objects.count() == before + 1


@pytest.mark.parametrize("path_name", ["portal form", "staff form", "console form", "api"])
def test_a_ten_megabyte_body_is_refused(world, path_name):
    who, path, is_api = send_paths(world)[path_name]
    client = client_for(world[who])
    client.raise_request_exception = False
    before = Message.objects.count()
    response = post_body(client, path, is_api, "z" * (10 * 1024 * 1024))
    assert response.status_code in (400, 413), response.status_code
    assert Message.objects.count() == before


@pytest.mark.parametrize("who, path, data", [
    ("sarah", "/staff/conversations/abc/", None),
    ("sarah", "/staff/conversations/99999999999999999999/", None),
    ("admin", "/admin/conversations/99999999999999999999/messages/", {"after": 0}),
    ("admin", "/admin/conversations/{pk}/messages/", {"after": "abc"}),
    ("admin", "/admin/conversations/{pk}/messages/", {"after": "-1"}),
    ("admin", "/admin/conversations/{pk}/messages/", {"after": "99999999999999999999"}),
    ("admin", "/admin/conversations/", {"status": "DELETED"}),
    ("admin", "/admin/conversations/", {"assigned_to": "1 OR 1=1"}),
    ("admin", "/admin/conversations/", {"page": "abc"}),
    ("sarah", "/staff/conversations/", {"status": "nope"}),
])
def test_odd_ids_and_parameters_are_400_or_404_never_500(world, who, path, data):
    """SECURITY_CASES 30 for the HTML side."""
    client = client_for(world[who])
    client.raise_request_exception = False
    response = client.get(path.format(pk=world["johns"].pk), data)
    assert response.status_code in (400, 404)
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("path, data", [
    ("/admin/conversations/{pk}/status/", {"status": "DELETED"}),
    ("/admin/conversations/{pk}/assign/", {"assigned_to": "{john}"}),  # a customer
    ("/admin/conversations/{pk}/assign/", {"assigned_to": "987654321"}),
    ("/admin/conversations/{pk}/priority/", {"priority": "whenever"}),
])
def test_bad_changes_are_400_and_change_nothing(world, path, data):
    """SECURITY_CASES 10 through the console forms."""
    before = state(world)
    data = {key: value.format(john=world["john"].pk) for key, value in data.items()}
    response = client_for(world["admin"]).post(path.format(pk=world["johns"].pk), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert state(world) == before


# --- rate limit, reassignment, badges ---------------------------------------------------

@pytest.mark.parametrize("path_name", ["portal form", "staff form", "api"])
def test_posting_too_fast_answers_429_with_retry_after(world, path_name, settings):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 3
    who, path, is_api = send_paths(world)[path_name]
    client = client_for(world[who])
    Message.objects.filter(sender=world[who]).delete()
    for index in range(3):
        response = client.post(path, json.dumps({"body": f"m{index}"}), content_type="application/json") if is_api \
            else client.post(path, {"body": f"m{index}", "client_token": f"00000000-0000-4000-8000-00000000000{index}"},
                             HTTP_HX_REQUEST="true")
        assert response.status_code in (201, 204)
    count = Message.objects.count()
    response = client.post(path, json.dumps({"body": "one too many"}), content_type="application/json") if is_api \
        else client.post(path, {"body": "one too many", "client_token": TOKEN}, HTTP_HX_REQUEST="true")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Message.objects.count() == count


def test_a_reassigned_staff_member_is_refused_on_the_next_poll_and_post(world):
    """SECURITY_CASES 5 through the staff portal."""
    pk = world["johns"].pk
    sarah = client_for(world["sarah"])
    assert sarah.get(f"/staff/conversations/{pk}/messages/", {"after": 0}).status_code == 200
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
    conversation_post_message(actor=world["john"], conversation=world["johns"], body="secret after reassignment")
    poll = sarah.get(f"/staff/conversations/{pk}/messages/", {"after": 0})
    assert poll.status_code == 404 and b"secret after reassignment" not in poll.content
    before = Message.objects.count()
    assert post_body(sarah, f"/staff/conversations/{pk}/reply/", False, "still here?").status_code == 404
    assert Message.objects.count() == before


def test_badges_never_count_another_staff_members_conversations(world):
    """SECURITY_CASES 6."""
    for index in range(3):
        conversation_post_message(actor=world["jane"], conversation=world["janes"], body=f"Jane's secret {index}")
    for path in ("/staff/conversations/", "/staff/conversations/rows/"):
        body = client_for(world["sarah"]).get(path).content.decode()
        assert "Jane" not in body and "secret" not in body
    listed = client_for(world["sarah"]).get("/api/staff/conversations").json()
    assert [item["id"] for item in listed["items"]] == [world["johns"].pk]
    assert listed["items"][0]["unread_count"] == 1  # John's "Hello" only


TEXTS = ["👋🏽 héllo", "你好，世界", "مرحبا بالعالم", "e\u0301 a\u0308 Z̤͔ͧ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀"]


@pytest.mark.parametrize("text", TEXTS)
def test_text_round_trips_exactly_through_the_form_and_the_page(world, text):
    """SECURITY_CASES 27 (run on MariaDB by CI): what is sent is what is stored and shown."""
    client = client_for(world["john"])
    assert client.post("/portal/chat/send/", {"body": text, "client_token": TOKEN}).status_code == 302
    assert Message.objects.latest("pk").body == text
    assert text in client_for(world["sarah"]).get(f"/staff/conversations/{world['johns'].pk}/").content.decode()
