"""Helpers for the contact chat's tests: a really solved ALTCHA proof of work (the
server's own challenge, solved here the way the browser's worker does), the form post,
and a snapshot of everything a refusal must leave unchanged."""

import base64
import json

import altcha
from django.conf import settings
from django.urls import reverse
from django_altcha import get_altcha_challenge

from accounts.models import AccountEmail
from conversations.models import Conversation, Message
from leads.models import ContactAttempt, Lead, VisitorPass
from leads.visitor import VISITOR_COOKIE_NAME
from tickets.models import SupportTicket

START = reverse("contact:start")
PAGE = reverse("contact:page")
POLL = reverse("contact:messages")
SEND = reverse("contact:send")


def solved_payload(*, max_number: int = 2000) -> str:
    """A valid payload: a challenge signed with our key (small, so the test is quick),
    solved by brute force like the widget does."""
    challenge = get_altcha_challenge(max_number=max_number)
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge.algorithm, challenge.challenge, solution.number, challenge.salt,
                          challenge.signature).to_base64()


def forged_payload() -> str:
    """Right shape, wrong signature (not our key)."""
    data = json.loads(base64.b64decode(solved_payload()))
    data["signature"] = "0" * 64
    return base64.b64encode(json.dumps(data).encode()).decode()


def contact_data(**fields) -> dict:
    return {"name": "Vera Visitor", "email": "vera@visitor.test", "company": "Vera & Co",
            "body": "Hello, do you ship to Norway?", "website": "", "altcha": solved_payload(), **fields}


def contact(client, *, address="203.0.113.7", **fields):
    return client.post(START, contact_data(**fields), REMOTE_ADDR=address)


def stored() -> dict:
    """Counts of every row the contact chat may write (and the cache's spent challenges)."""
    from django.core.cache import caches
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM designpi_cache")
        cached = cursor.fetchone()[0]
    assert settings.ALTCHA_CACHE_ALIAS in caches
    return {
        "leads": Lead.objects.count(), "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(), "tickets": SupportTicket.objects.count(),
        "attempts": ContactAttempt.objects.count(), "passes": VisitorPass.objects.count(),
        "emails": AccountEmail.objects.count(), "cache": cached,
        "pass_keys": sorted(VisitorPass.objects.values_list("key_hash", "link_generation")),
    }


def cookie_of(response) -> str:
    return response.cookies[VISITOR_COOKIE_NAME].value
