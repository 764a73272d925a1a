"""Issue 12, items 5 and 6: the team's first reply marks a new lead contacted, and
"Make customer" (leads.services.lead_convert_to_customer) turns a lead into an invited
customer whose portal conversation is the lead's, whole."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import AccountEmail, Role, User
from conversations.models import Conversation, Message, Source
from conversations.services import (
    conversation_assign,
    conversation_post_message,
    conversation_start_for_lead,
)
from leads.models import Lead, LeadStatus
from leads.services import lead_convert_to_customer, lead_set_status
from notifications.models import QueuedBatch
from tests.factories import CustomerFactory, LeadFactory
from tickets.models import SupportTicket

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices(alice_lead, admin_user, sarah, lead_conversation):
    """Alice (a lead, with company and phone) wrote twice, Sarah (assigned) replied once."""
    Lead.objects.filter(pk=alice_lead.pk).update(company="Startup Ltd", phone="+44 20 7946 0000")
    alice_lead.refresh_from_db()
    conversation_assign(actor=admin_user, conversation=lead_conversation, assignee=sarah)
    conversation_post_message(actor=None, conversation=lead_conversation, body="Hi, do you support SSO?")
    conversation_post_message(actor=sarah, conversation=lead_conversation, body="We do, Alice: SAML and OIDC.")
    conversation_post_message(actor=None, conversation=lead_conversation, body="Great, we'll sign up.")
    lead_conversation.refresh_from_db()
    return lead_conversation


def state():
    """Everything a refused conversion must leave as it was."""
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "role")),
        "emails": AccountEmail.objects.count(),
        "leads": list(Lead.objects.order_by("pk").values_list("pk", "status", "customer_id", "converted_at",
                                                              "updated_at")),
        "conversations": list(Conversation.objects.order_by("pk").values_list(
            "pk", "source", "customer_id", "lead_id", "assigned_to_id", "updated_at")),
        "tickets": list(SupportTicket.objects.order_by("pk").values_list("pk", "customer_id", "updated_at")),
        "messages": list(Message.objects.order_by("pk").values_list("pk", "conversation_id", "sender_id", "seq")),
    }


# --- the first team reply ------------------------------------------------------------


def test_the_first_team_reply_marks_a_new_lead_contacted(alice_lead, lead_conversation, admin_user):
    conversation_post_message(actor=None, conversation=lead_conversation, body="Hello?")
    alice_lead.refresh_from_db()
    assert alice_lead.status == LeadStatus.NEW  # the lead's own message changes nothing
    conversation_post_message(actor=admin_user, conversation=lead_conversation, body="Hello Alice")
    alice_lead.refresh_from_db()
    assert alice_lead.status == LeadStatus.CONTACTED


@pytest.mark.parametrize("status", [LeadStatus.QUALIFIED, LeadStatus.CONVERTED, LeadStatus.LOST])
def test_a_team_reply_never_moves_a_lead_backwards(alice_lead, lead_conversation, admin_user, status):
    lead_set_status(actor=admin_user, lead=alice_lead, status=status)
    conversation_post_message(actor=admin_user, conversation=lead_conversation, body="Still there?")
    alice_lead.refresh_from_db()
    assert alice_lead.status == status


def test_a_customer_conversation_reply_touches_no_lead(alice_lead, johns_conversation, sarah, admin_user):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Hi John")
    alice_lead.refresh_from_db()
    assert alice_lead.status == LeadStatus.NEW


# --- Make customer ------------------------------------------------------------------


def test_make_customer_creates_an_invited_customer_and_hands_over_the_whole_conversation(
        alices, alice_lead, admin_user, sarah):
    ticket = SupportTicket.objects.get(conversation=alices)
    messages_before = list(alices.messages.values_list("pk", "seq", "sender_id", "from_participant", "body"))
    updated_before = alices.updated_at

    customer = lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)

    # The account: made from the lead, a customer, invited (no password yet), one invitation queued.
    customer.refresh_from_db()
    assert (customer.email, customer.name, customer.company, customer.phone, customer.role) == (
        "alice@startup.test", "Alice Brown", "Startup Ltd", "+44 20 7946 0000", Role.CUSTOMER)
    assert customer.invitation_pending and not customer.has_usable_password()
    assert list(AccountEmail.objects.filter(user=customer).values_list("kind", "state")) == [
        (AccountEmail.Kind.INVITATION, AccountEmail.State.QUEUED)]
    # The lead: converted, linked, timed.
    alice_lead.refresh_from_db()
    assert alice_lead.status == LeadStatus.CONVERTED and alice_lead.customer == customer
    assert alice_lead.converted_at is not None and alice_lead.is_converted
    # The conversation: the customer's now, lead kept as history, assignee and timeline kept.
    alices.refresh_from_db()
    assert (alices.source, alices.customer_id, alices.lead_id, alices.assigned_to_id) == (
        Source.CUSTOMER, customer.pk, alice_lead.pk, sarah.pk)
    assert alices.updated_at > updated_before  # the lists' stamp and the live feed follow it
    assert list(alices.messages.values_list("pk", "seq", "sender_id", "from_participant", "body")) == messages_before
    assert alices.participant == customer and alices.participant_name == "Alice Brown"
    assert not alices.is_lead and alices.converted_from_lead
    # The ticket: the same row, now the customer's.
    assert SupportTicket.objects.get(conversation=alices).pk == ticket.pk
    assert SupportTicket.objects.get(pk=ticket.pk).customer_id == customer.pk
    # The customer sees it as theirs; nobody else gained anything.
    assert list(Conversation.objects.visible_to(customer)) == [alices]
    assert alices.is_participant(customer)


def test_the_new_customer_reads_and_continues_the_whole_timeline_in_the_portal(alices, alice_lead, admin_user, sarah,
                                                                                as_user):
    customer = lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    customer.set_password("a-new-password-123")
    customer.save()
    client = as_user(customer)
    html = client.get(reverse("portal:chat")).content.decode()
    for body in ("Hi, do you support SSO?", "We do, Alice: SAML and OIDC.", "Great, we&#x27;ll sign up."):
        assert body in html
    # What they wrote as a lead is theirs ("You"), the team's replies the team's.
    assert html.count('<span class="msg-author">You</span>') == 2
    assert "Sarah Johnson" in html
    # The portal opened the one conversation: no second one was made.
    assert Conversation.objects.filter(customer=customer).count() == 1
    response = client.post(reverse("portal:send"),
                           {"body": "Signed in now", "client_token": "7e0d7a3c-0000-4000-8000-000000000001"})
    assert response.status_code == 302
    message = alices.messages.order_by("-seq").first()
    assert (message.body, message.sender_id, message.from_participant, message.seq) == ("Signed in now", customer.pk,
                                                                                         True, 4)
    # The API shows it as the customer's conversation (lead: only for source=lead).
    data = client.get("/api/portal/conversation").json()
    assert data["source"] == "customer" and data["lead"] is None and data["customer"]["email"] == customer.email


def test_unread_counts_keep_their_sides(alices, alice_lead, admin_user, sarah):
    """from_participant is fixed at posting: the lead's messages stay the participant's,
    so the team's unread count and the customer's do not swap."""
    from conversations.selectors import attention_for, unread_counts_for

    customer = lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    alices.refresh_from_db()
    assert unread_counts_for(customer, [alices]) == {alices.pk: 1}  # Sarah's reply
    assert attention_for(customer) == (1, [alices.pk])
    assert unread_counts_for(sarah, [alices]) == {alices.pk: 2}  # Alice's two messages, as before


def test_several_conversations_the_admin_picks_the_portal_one_and_the_rest_stay_lead_threads(
        alices, alice_lead, admin_user, as_user):
    second = conversation_start_for_lead(actor=admin_user, lead=alice_lead)
    conversation_post_message(actor=None, conversation=second, body="A second question")
    customer = lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=second)
    second.refresh_from_db()
    alices.refresh_from_db()
    assert (second.source, second.customer_id) == (Source.CUSTOMER, customer.pk)
    assert (alices.source, alices.customer_id, alices.lead_id) == (Source.LEAD, None, alice_lead.pk)
    assert list(Conversation.objects.visible_to(customer)) == [second]
    # The team still reads the other one (the admin console), and it says what happened.
    html = as_user(admin_user).get(reverse("console:conversation_detail", args=[alices.pk])).content.decode()
    assert "Hi, do you support SSO?" in html and "Became a customer on" in html
    assert "Make customer" not in html


def test_a_converted_conversation_refuses_messages_without_a_sender(alices, alice_lead, admin_user):
    """Nobody writes as the lead into what is now the customer's conversation (an inbound
    channel or a visitor's cookie posting with actor=None)."""
    lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    before = state()
    with pytest.raises(PermissionDenied):
        conversation_post_message(actor=None, conversation=alices, body="Sneaking in")
    assert state() == before


def test_a_team_reply_after_conversion_is_emailed_to_the_customer(alices, alice_lead, admin_user, sarah,
                                                                   django_capture_on_commit_callbacks):
    """Before conversion a reply to the lead queues no email (no account); after, the
    customer's unread-replies email is queued like any customer's (judged when sent:
    notifications/tests in this file's SMTP twin, test_conversion_email.py)."""
    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=sarah, conversation=alices, body="Before")
    assert not QueuedBatch.objects.filter(conversation_id=alices.pk, kind="team_replied").exists()
    lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=sarah, conversation=alices, body="After")
    assert QueuedBatch.objects.filter(conversation_id=alices.pk, kind="team_replied").exists()


def test_a_converted_lead_keeps_its_status(alices, alice_lead, admin_user):
    lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    with pytest.raises(ValidationError, match="stays Converted"):
        lead_set_status(actor=admin_user, lead=alice_lead, status=LeadStatus.QUALIFIED)
    alice_lead.refresh_from_db()
    assert alice_lead.status == LeadStatus.CONVERTED


# --- refusals change nothing ----------------------------------------------------------


def refused(match, **call):
    before = state()
    with pytest.raises(ValidationError, match=match):
        lead_convert_to_customer(**call)
    assert state() == before


def test_refused_when_already_converted(alices, alice_lead, admin_user):
    lead_convert_to_customer(actor=admin_user, lead=alice_lead, conversation=alices)
    stale = Lead.objects.get(pk=alice_lead.pk)
    refused("already converted", actor=admin_user, lead=stale, conversation=alices)


def test_refused_when_marked_converted_by_hand(alices, alice_lead, admin_user):
    lead_set_status(actor=admin_user, lead=alice_lead, status=LeadStatus.CONVERTED)
    refused("marked Converted by hand", actor=admin_user, lead=alice_lead, conversation=alices)


def test_refused_when_the_email_has_an_account_in_any_spelling(alices, alice_lead, admin_user):
    CustomerFactory(email="alice@startup.test", name="Alice (existing)")
    Lead.objects.filter(pk=alice_lead.pk).update(email="Alice@Startup.TEST")  # an old row, not lower-cased
    alice_lead.refresh_from_db()
    refused("already exists .*People.*Converted by hand", actor=admin_user, lead=alice_lead, conversation=alices)


def test_refused_without_an_email(alices, alice_lead, admin_user):
    Lead.objects.filter(pk=alice_lead.pk).update(email="")
    alice_lead.refresh_from_db()
    refused("no email address", actor=admin_user, lead=alice_lead, conversation=alices)


def test_refused_for_a_conversation_that_is_not_the_leads(alices, alice_lead, admin_user, johns_conversation):
    other = conversation_start_for_lead(actor=admin_user, lead=LeadFactory(email="bob@else.test"))
    refused("not one of this lead's", actor=admin_user, lead=alice_lead, conversation=johns_conversation)
    refused("not one of this lead's", actor=admin_user, lead=alice_lead, conversation=other)


@pytest.mark.parametrize("persona", ["sarah", "john"])
def test_refused_for_anyone_but_an_admin(request, alices, alice_lead, persona):
    actor = request.getfixturevalue(persona)
    before = state()
    with pytest.raises(PermissionDenied):
        lead_convert_to_customer(actor=actor, lead=alice_lead, conversation=alices)
    assert state() == before
