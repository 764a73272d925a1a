"""Website visitors (issue 12): the cookie that lets one browser keep talking in one lead
conversation, the emailed link that moves it to another device, and the contact limits.

The one rule for what a visitor may open is ``Conversation.objects.for_visitor(token)``
(conversations/models.py, beside ``visible_to``), which calls ``visitor_q`` below. A
token names a conversation and carries its pass key; it opens that conversation only
while all of this holds (SECURITY_CASES 36):

* the signature is ours (SECRET_KEY, salt ``VISITOR_COOKIE_SALT``) and younger than
  VISITOR_COOKIE_MAX_AGE_DAYS;
* the key's hash equals the conversation's current ``VisitorPass.key_hash`` (closing the
  conversation rotates it: every cookie and link issued before stops working);
* the conversation's source is still ``lead`` and it still has a lead (the conversion to
  a customer sets source ``customer``);
* the lead is not ``converted``;
* the conversation is not CLOSED.
"""

import hashlib
import logging
import secrets
import time
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.http import http_date

from .models import ContactAttempt, LeadStatus, VisitorPass

logger = logging.getLogger("designpi.leads")

VISITOR_COOKIE_NAME = "designpi_visitor"
# "/": the live stream (/live/stream) reads it too; every other view ignores it.
VISITOR_COOKIE_PATH = "/"
VISITOR_COOKIE_SALT = "leads.visitor.cookie"
CONTINUE_LINK_SALT = "leads.visitor.continue-link"


# --- The pass and its tokens ----------------------------------------------------------

def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def visitor_pass_issue(*, conversation) -> str:
    """A new key for ``conversation``'s pass (created on first need) and the cookie token
    that carries it. Issuing rotates the key: a cookie issued before for the same
    conversation stops working (one browser at a time; another device joins through
    the emailed link, which issues again)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        updated = VisitorPass.objects.filter(conversation=conversation).update(key_hash=key_hash(key), rotated_at=now)
        if not updated:
            VisitorPass.objects.create(conversation=conversation, key_hash=key_hash(key))
    return signing.dumps({"c": conversation.pk, "k": key}, salt=VISITOR_COOKIE_SALT, compress=True)


def visitor_pass_revoke(*, conversation_id: int) -> int:
    """Make every cookie and continue link of this conversation useless (a key nobody
    knows, and the link generation moves on). Called when the conversation is closed;
    the conversion to a customer may call it too (for_visitor refuses a converted lead
    either way)."""
    return VisitorPass.objects.filter(conversation_id=conversation_id).update(
        key_hash=key_hash(secrets.token_urlsafe(32)), rotated_at=timezone.now(),
        link_generation=F("link_generation") + 1,
    )


def visitor_token_read(token) -> tuple[int, str] | None:
    """(conversation id, key) from a cookie token, or None for a forged, damaged or
    expired one. Only the signature and age are checked here; visitor_q checks the rest."""
    if not token or not isinstance(token, str) or len(token) > 512:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_COOKIE_SALT,
                             max_age=timedelta(days=settings.VISITOR_COOKIE_MAX_AGE_DAYS))
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("k"), str):
        return None
    return data["c"], data["k"]


def open_to_visitors_q(prefix: str = "") -> Q:
    """Conversations a visitor pass may open at all: source still ``lead`` with a lead,
    the lead not converted, the conversation not CLOSED."""
    from conversations.models import Source, Status

    return (Q(**{f"{prefix}source": Source.LEAD, f"{prefix}lead__isnull": False})
            & ~Q(**{f"{prefix}status": Status.CLOSED})
            & ~Q(**{f"{prefix}lead__status": LeadStatus.CONVERTED}))


def visitor_q(token, prefix: str = "") -> Q:
    """The rule of the module docstring as a filter on conversations (``prefix`` for a
    related model, like visibility_q): the token's conversation, with the current key,
    while it is open to visitors. Nothing for a bad token."""
    read = visitor_token_read(token)
    if read is None:
        return Q(pk__in=[])
    conversation_id, key = read
    this_key = Q(**{f"{prefix}pk": conversation_id, f"{prefix}visitor_pass__key_hash": key_hash(key)})
    return this_key & open_to_visitors_q(prefix)


# --- The continue link (another device) --------------------------------------------------

def continue_link_token(*, visitor_pass: VisitorPass) -> str:
    """Made by the worker when the email is sent (no token waits in the queue)."""
    return signing.dumps({"c": visitor_pass.conversation_id, "g": visitor_pass.link_generation},
                         salt=CONTINUE_LINK_SALT)


def continue_link_use(token) -> str | None:
    """Spend a continue link: the new cookie token for its conversation, or None when the
    link is forged, older than VISITOR_CONTINUE_LINK_MAX_AGE_HOURS, already used (or a
    newer one was sent), or the conversation no longer opens for a visitor. Single use
    holds under races: the generation moves on in one conditional UPDATE."""
    if not token or not isinstance(token, str) or len(token) > 512:
        return None
    try:
        data = signing.loads(token, salt=CONTINUE_LINK_SALT,
                             max_age=timedelta(hours=settings.VISITOR_CONTINUE_LINK_MAX_AGE_HOURS))
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int) or not isinstance(data.get("g"), int):
        return None
    from conversations.models import Conversation

    with transaction.atomic():
        spent = VisitorPass.objects.filter(
            conversation_id=data["c"], link_generation=data["g"],
            conversation__in=Conversation.objects.open_to_visitors(),
        ).update(link_generation=F("link_generation") + 1)
        if not spent:
            return None
        conversation = Conversation.objects.get(pk=data["c"])
        return visitor_pass_issue(conversation=conversation)


def continue_link_request(*, conversation) -> None:
    """Email the lead a link to continue ``conversation`` elsewhere. The generation moves
    on now, so any link sent before stops working; the email row is queued through the
    accounts' email machinery (accounts.services.account_email_queue_for_visitor)."""
    from accounts.services import account_email_queue_for_visitor

    with transaction.atomic():
        visitor_pass, _ = VisitorPass.objects.get_or_create(
            conversation=conversation, defaults={"key_hash": key_hash(secrets.token_urlsafe(32))}
        )
        VisitorPass.objects.filter(pk=visitor_pass.pk).update(link_generation=F("link_generation") + 1)
        account_email_queue_for_visitor(visitor_pass=visitor_pass)


# --- Limits per client address and per email ---------------------------------------------

class ContactLimited(Exception):
    """Too many contact forms or visitor messages from one address or for one email (429)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def _limits(kind):
    if kind == ContactAttempt.Kind.CONVERSATION:
        return settings.CONTACT_LIMIT_PER_HOUR, timedelta(hours=1), "contact requests"
    return settings.VISITOR_MESSAGE_LIMIT_PER_MINUTE, timedelta(minutes=1), "messages"


def contact_limit_check(*, kind: str, email: str, network: str) -> None:
    """Raise ContactLimited when this address or this email already reached its limit
    for ``kind`` within the window. Reads only: a refusal writes nothing."""
    limit, window, what = _limits(kind)
    since = timezone.now() - window
    recent = ContactAttempt.objects.filter(kind=kind, at__gte=since)
    seconds = int(window.total_seconds())
    if recent.filter(network=network).count() >= limit:
        logger.warning("contact limit hit kind=%s scope=address network=%s", kind, network)
        raise ContactLimited(f"Too many {what} from your network. Try again later.", seconds)
    if recent.filter(email=email.lower()).count() >= limit:
        logger.warning("contact limit hit kind=%s scope=email", kind)
        raise ContactLimited(f"Too many {what} for this email address. Try again later.", seconds)


def contact_attempt_record(*, kind: str, email: str, network: str) -> None:
    """Count an accepted request (in the caller's transaction, with what it stored)."""
    ContactAttempt.objects.create(kind=kind, email=email.lower()[:254], network=network)


def contact_attempts_prune(*, older_than) -> int:
    deleted, _ = ContactAttempt.objects.filter(at__lt=older_than).delete()
    return deleted


# --- The cookie -------------------------------------------------------------------------

def visitor_cookie_set(response, request, token: str) -> None:
    """HttpOnly, VISITOR_COOKIE_MAX_AGE_DAYS long, read by the contact views and the live stream. With SECURE_COOKIES
    (production) it is ``Secure; SameSite=None; Partitioned``: the widget shows the chat in
    another site's frame, where a SameSite=Lax cookie is never sent, and Partitioned (CHIPS)
    keys it to that embedding site, so the same browser elsewhere (another site's widget,
    or /contact/ itself) does not share it. Without TLS (development) it is SameSite=Lax,
    which the browser requires for a cookie that is not Secure. The views' CSRF defence
    is the same-origin check, not SameSite (conversations/views/visitor.py)."""
    max_age = settings.VISITOR_COOKIE_MAX_AGE_DAYS * 24 * 3600
    if settings.SECURE_COOKIES:
        # Django 5.2 cannot write the Partitioned attribute: the header is written here
        # (one Set-Cookie header beside those in response.cookies).
        expires = http_date(time.time() + max_age)
        response["Set-Cookie"] = (f"{VISITOR_COOKIE_NAME}={token}; expires={expires}; Max-Age={max_age}; "
                                  f"Path={VISITOR_COOKIE_PATH}; Secure; HttpOnly; SameSite=None; Partitioned")
        return
    response.set_cookie(VISITOR_COOKIE_NAME, token, max_age=max_age, path=VISITOR_COOKIE_PATH,
                        httponly=True, samesite="Lax", secure=False)


def visitor_cookie_delete(response) -> None:
    if settings.SECURE_COOKIES:
        response["Set-Cookie"] = (f"{VISITOR_COOKIE_NAME}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; "
                                  f"Path={VISITOR_COOKIE_PATH}; Secure; HttpOnly; SameSite=None; Partitioned")
        return
    response.delete_cookie(VISITOR_COOKIE_NAME, path=VISITOR_COOKIE_PATH, samesite="Lax")
