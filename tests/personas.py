"""Named people for every test (house style 11): one per role and a second of each
where ownership matters, and ``world``: the one standard situation between them.
Passwords are all PASSWORD."""

import pytest
from django.test import Client

from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
    conversation_start_for_lead,
)

from .factories import AdminFactory, CustomerFactory, LeadFactory, StaffFactory

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def admin_user(db):
    return AdminFactory(email="admin@designpi.test", name="Ada Admin")


@pytest.fixture
def sarah(db):
    return StaffFactory(email="sarah@designpi.test", name="Sarah Johnson")


@pytest.fixture
def mike(db):
    return StaffFactory(email="mike@designpi.test", name="Mike Chen")


@pytest.fixture
def john(db):
    return CustomerFactory(email="john@example.test", name="John Doe", company="Acme Corporation")


@pytest.fixture
def jane(db):
    return CustomerFactory(email="jane@example.test", name="Jane Smith", company="Tech Solutions Inc")


@pytest.fixture
def alice_lead(db):
    return LeadFactory(name="Alice Brown", email="alice@startup.test")


@pytest.fixture
def johns_conversation(john):
    conversation, _ = conversation_get_or_create_for_customer(customer=john)
    return conversation


@pytest.fixture
def janes_conversation(jane):
    conversation, _ = conversation_get_or_create_for_customer(customer=jane)
    return conversation


@pytest.fixture
def lead_conversation(alice_lead):
    return conversation_start_for_lead(actor=None, lead=alice_lead)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def as_user():
    """as_user(user) -> a test Client signed in as that user (None: anonymous)."""
    return client_for


@pytest.fixture
def world(admin_user, sarah, mike, john, jane, alice_lead, johns_conversation, janes_conversation, lead_conversation):
    """The standard situation for access, security and fault tests; each conversation has a ticket:

    * John's conversation ("johns") is Sarah's: John wrote, Sarah replied (John's message unread);
    * Jane's ("janes") is Mike's: Jane wrote;
    * Alice the lead's ("alices") is unassigned: Alice wrote.

    Keys: the people by first name ("admin" for the admin, "anonymous" for None, "alice"
    for the lead) and the conversations by owner.
    """
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=mike)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Hello from John")
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Hi John, Sarah here")
    conversation_post_message(actor=jane, conversation=janes_conversation, body="Hello from Jane")
    conversation_post_message(actor=None, conversation=lead_conversation, body="Hello from Alice")
    return {
        "admin": admin_user,
        "sarah": sarah,
        "mike": mike,
        "john": john,
        "jane": jane,
        "anonymous": None,
        "alice": alice_lead,
        "johns": johns_conversation,
        "janes": janes_conversation,
        "alices": lead_conversation,
    }
