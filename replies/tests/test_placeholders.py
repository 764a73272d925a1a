"""Placeholders are filled by plain substitution, never by a template engine (issue 14)."""

import pytest

from conversations.services import conversation_post_message
from replies.models import CannedReply
from replies.placeholders import COMPANY, fill, first_name, placeholder_values
from replies.services import canned_reply_create
from tests.factories import CustomerFactory, LeadFactory
from tests.personas import client_for

TRICKY = [
    "{{ customer.name }}",
    "{% now 'Y' %}",
    "{% load static %}{% static 'x' %}",
    "<script>alert(1)</script>",
    "{customer.email}",
    "{ customer.first_name }",
    "%(company)s {0} $company {COMPANY}",
]


def values(**overrides):
    return {"{customer.first_name}": "John", "{customer.name}": "John Doe",
            "{agent.first_name}": "Sarah", "{company}": COMPANY, **overrides}


def test_known_placeholders_are_filled_and_nothing_else_changes():
    body = "Hi {customer.first_name} ({customer.name}), {agent.first_name} from {company} here."
    assert fill(body, values()) == f"Hi John (John Doe), Sarah from {COMPANY} here."


@pytest.mark.parametrize("text", TRICKY)
def test_template_looking_text_in_a_body_comes_out_as_typed(text):
    assert fill(text, values()) == text


def test_double_braces_around_a_placeholder_keep_the_outer_braces_literally():
    # The inner {customer.first_name} is a placeholder; the extra braces stay characters.
    assert fill("{{customer.first_name}}", values()) == "{John}"


@pytest.mark.parametrize("name", [*TRICKY, "{agent.first_name}", "{company}", "{customer.name}"])
def test_a_value_that_looks_like_a_placeholder_or_template_is_never_expanded(name):
    filled = fill("{customer.name} / {agent.first_name} / {company}",
                  values(**{"{customer.name}": name}))
    assert filled == f"{name} / Sarah / {COMPANY}"


def test_first_name_is_the_first_word_else_the_email_local_part(db):
    assert first_name(CustomerFactory(name="  Mary  Ann Smith ", email="m@example.test")) == "Mary"
    assert first_name(CustomerFactory(name="", email="kim.lee@example.test")) == "kim.lee"
    assert first_name(None) == ""


def test_a_lead_participant_fills_the_customer_placeholders(db, sarah):
    from conversations.services import conversation_start_for_lead

    conversation = conversation_start_for_lead(actor=None, lead=LeadFactory(name="Alice Brown"))
    got = placeholder_values(conversation=conversation, agent=sarah)
    assert got["{customer.first_name}"] == "Alice" and got["{customer.name}"] == "Alice Brown"
    assert got["{agent.first_name}"] == "Sarah"


@pytest.mark.parametrize("evil", ["{{ 7|add:1 }} {% csrf_token %}", "<script>alert('x')</script>",
                                  "{agent.first_name}"])
def test_inserted_text_posts_as_a_normal_message_and_is_shown_escaped(world, evil):
    """The whole path: an evil body and an evil customer name come back from the picker's
    JSON literally, post as a normal message and render escaped on the thread page."""
    john, sarah, conversation = world["john"], world["sarah"], world["johns"]
    john.name = f"{evil} Doe"
    john.save()
    canned_reply_create(actor=sarah, title="Evil", body=f"{evil} | {{customer.name}} | {{agent.first_name}}")
    client = client_for(sarah)
    replies = client.get(f"/staff/conversations/{conversation.pk}/replies/").json()["replies"]
    text = next(r["text"] for r in replies if r["title"] == "Evil")
    # In the body a real placeholder is filled; in the name it is just characters.
    in_body = "Sarah" if evil == "{agent.first_name}" else evil
    assert text == f"{in_body} | {evil} Doe | Sarah"
    conversation_post_message(actor=sarah, conversation=conversation, body=text)
    page = client.get(f"/staff/conversations/{conversation.pk}/").content.decode()
    assert "&lt;script&gt;" in page or "<script>" not in evil
    assert "<script>alert" not in page
    assert "{{ 7|add:1 }}" in page or "{{" not in evil  # never evaluated to 8
    assert CannedReply.objects.get(title="Evil").body.startswith(evil)  # stored as written
