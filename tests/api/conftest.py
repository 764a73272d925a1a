"""The API tests' world: John's thread is Sarah's, Jane's is Mike's (assigned by the admin)."""

import json

import pytest
from django.test import Client

from conversations.services import conversation_assign, conversation_post_message

MISSING_ID = 987654321
CSRF_TOKEN = "a" * 32  # a valid unmasked CSRF secret: cookie and header carry the same value


@pytest.fixture
def world(admin_user, sarah, mike, john, jane, johns_conversation, janes_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=janes_conversation, assignee=mike)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Hello from John")
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Hi John, Sarah here")
    conversation_post_message(actor=jane, conversation=janes_conversation, body="Hello from Jane")
    return {
        "admin": admin_user,
        "sarah": sarah,
        "mike": mike,
        "john": john,
        "jane": jane,
        "anonymous": None,
        "johns": johns_conversation,
        "janes": janes_conversation,
    }


def api_client(user, *, csrf: bool = False) -> Client:
    """A client signed in as ``user`` (None: anonymous); csrf=True enforces CSRF like a browser."""
    client = Client(enforce_csrf_checks=csrf)
    if user is not None:
        client.force_login(user)
    return client


def call(client, method, path, body=None, *, raw=None, query=None, csrf_header=True, **extra):
    """One API request: ``query`` for GET parameters; a JSON ``body``, or ``raw`` as given."""
    headers = {}
    if csrf_header:
        client.cookies["csrftoken"] = CSRF_TOKEN
        headers["HTTP_X_CSRFTOKEN"] = CSRF_TOKEN
    if method == "GET":
        return client.get(path, data=query, **headers, **extra)
    data = raw if raw is not None else (json.dumps(body) if body is not None else "")
    return getattr(client, method.lower())(path, data=data, content_type="application/json", **headers, **extra)


def messages_url(pk) -> str:
    return f"/api/conversations/{pk}/messages"
