import pytest

from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)
from tests.factories import CustomerFactory


@pytest.fixture
def post():
    """post(actor, conversation, body) -> Message, through the service."""

    def _post(actor, conversation, body="Hello"):
        return conversation_post_message(actor=actor, conversation=conversation, body=body)

    return _post


@pytest.fixture
def many_conversations(admin_user, settings):
    """many_conversations(n, assignee) -> n customer conversations, each with a customer
    message and a team reply, assigned to ``assignee`` (or unassigned)."""
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0  # one team member answers all of them at once

    def _make(n, assignee=None):
        made = []
        for _ in range(n):
            customer = CustomerFactory()
            conversation, _ = conversation_get_or_create_for_customer(customer=customer)
            if assignee is not None:
                conversation_assign(actor=admin_user, conversation=conversation, assignee=assignee)
            conversation_post_message(actor=customer, conversation=conversation, body="Help, please")
            conversation_post_message(actor=assignee or admin_user, conversation=conversation, body="On it")
            conversation_post_message(actor=customer, conversation=conversation, body="Thanks")
            made.append(conversation)
        return made

    return _make
