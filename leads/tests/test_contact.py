"""The public contact chat's first message (issue 12; SECURITY_CASES 37): a lead found or
made, the conversation, the cookie; a customer's address answered "please sign in"; and
every spam defence refusing with a 4xx that changes nothing stored."""

import re

import pytest
from django.urls import reverse

from accounts.models import AccountEmail
from conversations.models import Conversation, Message, Source, Status
from conversations.services import (
    conversation_post_message,
    conversation_start_for_lead,
)
from leads.models import Lead, LeadStatus
from leads.visitor import VISITOR_COOKIE_NAME
from tests.factories import CustomerFactory, LeadFactory

from .visitors import (
    PAGE,
    START,
    contact,
    contact_data,
    forged_payload,
    solved_payload,
    stored,
)

pytestmark = pytest.mark.django_db


def test_the_form_page_has_labelled_fields_the_honeypot_and_the_proof_of_work(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Name", "Email", "Company (optional)", "Message"):
        assert f">{label}</label>" in html
    assert 'name="website"' in html and 'class="field honeypot" aria-hidden="true"' in html
    assert "<altcha-widget" in html and "/static/altcha/altcha.min.js" in html
    assert 'id="__altcha-css"' in html  # the stylesheet the script would otherwise inject
    assert "no-store" in response["Cache-Control"]


def test_a_new_visitor_becomes_a_new_lead_with_a_conversation_and_a_cookie(client):
    response = contact(client, email="Vera@Visitor.TEST")
    assert response.status_code == 302 and response["Location"] == PAGE
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.company, lead.status) == ("Vera Visitor", "vera@visitor.test", "Vera & Co",
                                                                   LeadStatus.NEW)
    conversation = Conversation.objects.get()
    assert (conversation.source, conversation.lead_id, conversation.status) == (Source.LEAD, lead.pk, Status.OPEN)
    message = Message.objects.get()
    assert (message.sender_id, message.from_participant, message.body) == (None, True, "Hello, do you ship to Norway?")
    assert conversation.ticket.status == Status.OPEN
    morsel = response.cookies[VISITOR_COOKIE_NAME]
    assert morsel["httponly"] and morsel["samesite"] == "Lax" and morsel["path"] == "/"
    assert int(morsel["max-age"]) == 90 * 24 * 3600
    # The page now is the chat, with the message.
    page = client.get(PAGE)
    assert b"Hello, do you ship to Norway?" in page.content and b'id="composer"' in page.content


def test_in_production_the_cookie_is_secure_samesite_none_and_partitioned(client, settings):
    settings.SECURE_COOKIES = True
    response = contact(client, secure=True)
    header = response["Set-Cookie"]
    assert header.startswith(f"{VISITOR_COOKIE_NAME}=")
    for attribute in ("Secure", "HttpOnly", "SameSite=None", "Partitioned", "Path=/"):
        assert f"; {attribute}" in header


def test_an_existing_lead_is_found_by_email_in_any_spelling_and_a_resolved_conversation_is_not_reused(client):
    lead = LeadFactory(email="vera@visitor.test", name="Vera Old", status=LeadStatus.QUALIFIED)
    old = conversation_start_for_lead(actor=None, lead=lead)
    Conversation.objects.filter(pk=old.pk).update(status=Status.RESOLVED)
    response = contact(client, email="VERA@visitor.test")
    assert response.status_code == 302
    assert Lead.objects.count() == 1
    lead.refresh_from_db()
    assert (lead.name, lead.status) == ("Vera Old", LeadStatus.QUALIFIED)  # a visitor does not rename a lead
    new = Conversation.objects.exclude(pk=old.pk).get()
    assert new.lead_id == lead.pk and new.messages.count() == 1


def test_an_existing_open_conversation_gets_the_message_but_its_history_only_by_email(client):
    lead = LeadFactory(email="vera@visitor.test")
    conversation = conversation_start_for_lead(actor=None, lead=lead)
    conversation_post_message(actor=None, conversation=conversation, body="My private earlier question")
    response = contact(client)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please sign in, or check your email" in html
    assert "My private earlier question" not in html
    assert VISITOR_COOKIE_NAME not in response.cookies
    assert conversation.messages.count() == 2
    assert AccountEmail.objects.get().visitor_pass.conversation_id == conversation.pk
    assert client.get(PAGE).content.count(b"My private earlier question") == 0


def test_a_customers_address_gets_please_sign_in_and_nothing_is_made(client):
    CustomerFactory(email="carla@customer.test")
    before = stored()
    response = contact(client, email="Carla@Customer.test")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please sign in" in html and reverse("accounts:login") in html
    after = stored()
    for key in ("leads", "conversations", "messages", "tickets", "passes", "emails"):
        assert after[key] == before[key], key
    assert VISITOR_COOKIE_NAME not in response.cookies


def test_a_customers_address_and_a_leads_open_conversation_get_the_same_answer(client):
    """The page tells nobody whether an address is a customer account (SECURITY.md)."""
    CustomerFactory(email="carla@customer.test")
    conversation_start_for_lead(actor=None, lead=LeadFactory(email="vera@visitor.test"))
    customer = contact(client, email="carla@customer.test", address="203.0.113.1").content.decode()
    lead = contact(client, email="vera@visitor.test", address="203.0.113.2").content.decode()
    csrf = re.compile(r'"X-CSRFToken": "[^"]+"')
    customer, lead = csrf.sub("", customer), csrf.sub("", lead)
    assert customer.replace("carla@customer.test", "X") == lead.replace("vera@visitor.test", "X")


# --- Refusals: 4xx with the reason, nothing stored changed ------------------------------

def _refused(client, status, reason, **fields):
    before = stored()
    response = contact(client, **fields)
    assert response.status_code == status, response.content[:500]
    assert reason in response.content.decode()
    assert stored() == before
    assert VISITOR_COOKIE_NAME not in response.cookies
    return response


def test_a_missing_proof_of_work_is_refused(client):
    _refused(client, 400, "ALTCHA CAPTCHA token is missing.", altcha="")


def test_an_invalid_proof_of_work_is_refused(client):
    _refused(client, 400, "Invalid CAPTCHA token.", altcha=forged_payload())


def test_a_garbage_proof_of_work_is_refused_not_a_500(client):
    _refused(client, 400, "CAPTCHA", altcha="not base64 at all {")


def test_a_replayed_proof_of_work_is_refused(client):
    payload = solved_payload()
    assert contact(client, altcha=payload, email="first@visitor.test").status_code == 302
    _refused(client, 400, "This proof of work was already used", altcha=payload, email="second@visitor.test",
             address="198.51.100.9")


def test_a_refused_form_does_not_spend_the_proof_of_work(client):
    payload = solved_payload()
    _refused(client, 400, "Write a message before sending.", altcha=payload, body="   ")
    assert contact(client, altcha=payload).status_code == 302


def test_a_filled_honeypot_is_refused(client):
    _refused(client, 400, "looks automated", website="https://spam.example")


@pytest.mark.parametrize("fields, reason", [
    ({"body": "x" * 5001}, "at most 5,000 characters"),
    ({"body": "bad \x07 byte"}, "Control characters"),
    ({"name": "Vera\x1b"}, "Control characters"),
    ({"email": "not-an-address"}, "valid email"),
    ({"name": "  "}, "required"),
])
def test_the_body_and_fields_follow_the_same_rules_as_everywhere(client, fields, reason):
    _refused(client, 400, reason, **fields)


def test_the_limit_per_client_address_on_new_conversations(client, settings):
    settings.CONTACT_LIMIT_PER_HOUR = 2
    for n in range(2):
        assert contact(client, email=f"v{n}@visitor.test").status_code == 302
    response = _refused(client, 429, "Too many contact requests from your network", email="v9@visitor.test")
    assert response["Retry-After"] == "3600"
    # Another address is not held back.
    assert contact(client, email="v9@visitor.test", address="198.51.100.20").status_code == 302


def test_the_limit_per_email_on_new_conversations(client, settings):
    settings.CONTACT_LIMIT_PER_HOUR = 2
    for n in range(2):
        assert contact(client, address=f"198.51.100.{n + 1}").status_code in (200, 302)
    _refused(client, 429, "Too many contact requests for this email address", address="198.51.100.50")


def test_cross_site_posts_are_refused(client):
    before = stored()
    response = client.post(START, contact_data(), HTTP_ORIGIN="https://evil.example", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    response = client.post(START, contact_data(), HTTP_SEC_FETCH_SITE="cross-site", REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 403
    assert stored() == before


def test_get_on_start_is_405(client):
    assert client.get(START).status_code == 405


def test_the_form_page_makes_no_query_and_a_stale_cookie_one(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(PAGE).status_code == 200
    client.cookies[VISITOR_COOKIE_NAME] = "stale"
    with django_assert_num_queries(0):  # a token that fails its signature asks nothing
        assert client.get(PAGE).status_code == 200
    response = contact(client)
    client.cookies[VISITOR_COOKIE_NAME] = response.cookies[VISITOR_COOKIE_NAME].value
    Conversation.objects.update(status=Status.CLOSED)
    # 1 the conversation through for_visitor (none): the form, and the cookie is deleted
    with django_assert_num_queries(1):
        assert b"Chat with us" in client.get(PAGE).content
