"""The database itself refuses impossible rows (SPEC §3), whatever code tries."""

import pytest
from django.db import IntegrityError, transaction

from conversations.models import Conversation, Message
from tickets.models import SupportTicket

pytestmark = pytest.mark.django_db


def refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(**fields)


def test_a_conversation_has_exactly_one_participant_matching_its_source(john, alice_lead):
    refused(source="customer")  # neither
    refused(source="lead")
    refused(source="lead", customer=john, lead=alice_lead)  # a lead conversation never has a customer
    refused(source="lead", customer=john)  # source disagrees
    refused(source="customer", lead=alice_lead)
    refused(source="customer", customer=john, status="ARCHIVED")  # unknown status
    refused(source="email", customer=john)  # unknown source
    assert Conversation.objects.count() == 0


def test_a_customer_conversation_may_keep_the_lead_it_was_converted_from(john, alice_lead):
    """Issue 12: "Make customer" keeps ``lead`` on the portal conversation as history."""
    Conversation.objects.create(source="customer", customer=john, lead=alice_lead)
    assert Conversation.objects.get().lead == alice_lead


def test_one_conversation_per_customer(john):
    Conversation.objects.create(source="customer", customer=john)
    refused(source="customer", customer=john)


def test_many_lead_conversations_and_many_without_customer_are_fine(alice_lead):
    Conversation.objects.create(source="lead", lead=alice_lead)
    Conversation.objects.create(source="lead", lead=alice_lead)
    assert Conversation.objects.count() == 2


def test_seq_is_unique_within_a_conversation(johns_conversation, janes_conversation, john, jane):
    Message.objects.create(conversation=johns_conversation, sender=john, from_participant=True, body="a", seq=1,
                           public_seq=1)
    Message.objects.create(conversation=janes_conversation, sender=jane, from_participant=True, body="b", seq=1,
                           public_seq=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=johns_conversation, sender=john, from_participant=True, body="c", seq=1,
                               public_seq=1)


def test_seq_starts_at_one_and_body_is_never_empty(johns_conversation, john):
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=johns_conversation, sender=john, from_participant=True, body="x", seq=0,
                               public_seq=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(conversation=johns_conversation, sender=john, from_participant=True, body="", seq=1,
                               public_seq=1)


def test_one_ticket_per_conversation(johns_conversation, john):
    SupportTicket.objects.create(conversation=johns_conversation, customer=john, subject="s")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportTicket.objects.create(conversation=johns_conversation, customer=john, subject="again")


def test_ticket_status_and_priority_are_checked(johns_conversation, john):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportTicket.objects.create(conversation=johns_conversation, subject="s", priority="meh")
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportTicket.objects.create(conversation=johns_conversation, subject="s", status="meh")
