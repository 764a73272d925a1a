"""One way to build and send an email: a text part and an HTML part from two templates,
the links absolute (settings.SITE_URL), and for anything a person can turn off the
one-click unsubscribe headers (RFC 8058). Called from tasks only: a request queues a task
on commit and never talks to the mail server itself (issue 11)."""

import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """A link for an email: the site's address and a path from reverse()."""
    return f"{settings.SITE_URL}{path}"


def build_email(*, to: str, subject: str, template: str, context: dict,
                unsubscribe_url: str | None = None) -> EmailMultiAlternatives:
    """`template` names a pair: `<template>.txt` (plain text) and `<template>.html`. Both are
    rendered with autoescaping as usual, so user text is escaped in the HTML part; the text
    part is rendered from a template that turns autoescape off."""
    context = {**context, "site_url": settings.SITE_URL, "unsubscribe_url": unsubscribe_url}
    text = render_to_string(f"{template}.txt", context)
    html = render_to_string(f"{template}.html", context)
    headers = {"Auto-Submitted": "auto-generated"}
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # A header cannot carry a line break: a name with one would otherwise fail to send.
    subject = " ".join(subject.split())
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    return message


# --- Sending once, and again after a mail server error --------------------------------
# Every email the app sends has a row (notifications.Notification, accounts.AccountEmail)
# that a worker claims before it talks to the mail server and marks sent after. A claim
# older than SEND_LEASE is a worker that died mid-send: the row is sent again (the one
# window for a double; SECURITY.md, issue 11). It is longer than any SMTP exchange can
# take (EMAIL_TIMEOUT per socket operation).
SEND_LEASE = timedelta(minutes=5)
# After a mail server error: wait 1, 2, 4 … 60 minutes; give up after MAX_SEND_ATTEMPTS.
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
MAX_SEND_ATTEMPTS = 8
# What a mail server that is down, refusing or timing out raises.
SEND_ERRORS = (smtplib.SMTPException, OSError)


def retry_wait(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)
