"""One way to build and send an email: a text part and an HTML part from two templates,
the links absolute (settings.SITE_URL), and for anything a person can turn off the
one-click unsubscribe headers (RFC 8058). Called from tasks only: a request queues a task
on commit and never talks to the mail server itself (issue 11)."""

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
