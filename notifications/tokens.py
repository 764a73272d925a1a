"""Signed one-click unsubscribe links (RFC 8058). The token is the only credential the
landing page asks for, so it is signed (django.core.signing, with a salt used for
nothing else), names one person and one preference, and expires."""

import hashlib

from django.core import signing

from accounts.models import User

# A salt for this purpose only: a token signed for anything else (a password reset, a
# visitor cookie…) never verifies here, and this one never verifies there.
UNSUBSCRIBE_SALT = "designpi.notifications.unsubscribe"
# Long enough for an email read weeks later; past it the person signs in instead.
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 60
PREFERENCES = ("notify_assigned", "notify_messages", "notify_mentions")


class BadToken(Exception):
    """The link is tampered with, expired, or not an unsubscribe link."""


def make_unsubscribe_token(user: User, preference: str) -> str:
    if preference not in PREFERENCES:
        raise ValueError(f"Unknown preference {preference!r}.")
    # A digest of the address is signed too: the link stops working when the account's
    # address changes (and the address itself is not readable in the link).
    return signing.dumps({"u": user.pk, "p": preference, "e": _address_digest(user.email)}, salt=UNSUBSCRIBE_SALT)


def _address_digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def read_unsubscribe_token(token: str) -> tuple[User, str]:
    """(the person, the preference) or BadToken with a reason fit to show."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken("This unsubscribe link has expired. Sign in to change your email settings.") from None
    except signing.BadSignature:
        raise BadToken("This unsubscribe link is not valid.") from None
    if not isinstance(payload, dict) or payload.get("p") not in PREFERENCES:
        raise BadToken("This unsubscribe link is not valid.")
    user = User.objects.filter(pk=payload.get("u")).first()
    if user is None or _address_digest(user.email) != payload.get("e"):
        raise BadToken("This unsubscribe link is not valid.")
    return user, payload["p"]
