"""Calling the API in tests: a client signed in as a persona, one request helper that
sends JSON and the CSRF header like a browser's script, and the URLs."""

import json

from django.test import Client

MISSING_ID = 987654321
CSRF_TOKEN = "a" * 32  # a valid unmasked CSRF secret: cookie and header carry the same value


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
