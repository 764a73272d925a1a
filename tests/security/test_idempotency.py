"""Issue 9 A5: a message's idempotency key (`client_token`) is its sender's, not the
conversation's. A token someone else used first never swallows your message, and a
retry only ever answers with your own message."""

import json

import pytest
from django.db import IntegrityError, transaction

from conversations.models import Message
from conversations.services import conversation_assign, conversation_post_message
from tests.personas import client_for

pytestmark = pytest.mark.django_db

TOKEN = "shared-token-1"


@pytest.fixture
def johns_thread(admin_user, sarah, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    return johns_conversation


def post(user, conversation, body, token=TOKEN):
    return client_for(user).post(
        f"/api/conversations/{conversation.pk}/messages",
        json.dumps({"body": body, "client_token": token}),
        content_type="application/json",
    )


def test_a_staff_reply_with_a_token_the_customer_used_first_is_stored(johns_thread, john, sarah):
    johns = post(john, johns_thread, "My order is late")
    assert johns.status_code == 201

    sarahs = post(sarah, johns_thread, "Looking into it now")

    assert sarahs.status_code == 201
    answer = sarahs.json()
    assert answer["body"] == "Looking into it now"
    assert answer["sender"]["id"] == sarah.pk
    assert answer["id"] != johns.json()["id"]
    assert list(Message.objects.order_by("seq").values_list("sender", "body")) == [
        (john.pk, "My order is late"), (sarah.pk, "Looking into it now"),
    ]


def test_a_retry_answers_with_the_same_senders_message_only(johns_thread, john, sarah):
    first_john = post(john, johns_thread, "once").json()
    first_sarah = post(sarah, johns_thread, "reply").json()

    again_sarah = post(sarah, johns_thread, "reply")
    again_john = post(john, johns_thread, "once")

    assert again_sarah.status_code == again_john.status_code == 201
    assert again_sarah.json()["id"] == first_sarah["id"]
    assert again_sarah.json()["sender"]["id"] == sarah.pk
    assert again_john.json()["id"] == first_john["id"]
    assert again_john.json()["sender"]["id"] == john.pk
    assert Message.objects.count() == 2


def test_the_database_keeps_one_message_per_sender_and_token(johns_thread, john, sarah):
    """The unique constraint is per (conversation, sender, client_token): a second row
    with the same sender's key is refused by the database itself."""
    message = conversation_post_message(actor=john, conversation=johns_thread, body="once", client_token=TOKEN)

    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(
            conversation=johns_thread, sender=john, from_participant=True, body="twice", seq=message.seq + 1, public_seq=message.seq + 1,
            client_token=TOKEN,
        )
    # Another sender with the same key is a different message.
    Message.objects.create(
        conversation=johns_thread, sender=sarah, from_participant=False, body="mine", seq=message.seq + 1, public_seq=message.seq + 1,
        client_token=TOKEN,
    )
    assert Message.objects.count() == 2
