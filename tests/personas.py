"""Named people for every test (house style 11): one per role and a second of each
where ownership matters. Passwords are all PASSWORD."""

import pytest
from django.test import Client

from conversations.services import conversation_get_or_create_for_customer, conversation_start_for_lead

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
