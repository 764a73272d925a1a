"""Emails about accounts, sent by the worker (`manage.py db_worker`), never by a request.

The task is given only the id of an AccountEmail row. It claims the row (a doubled task
finds it claimed or sent and stops), re-reads the account and sends nothing to someone
who may no longer use the link (deactivated, invitation accepted or replaced by a newer
one, no usable password to reset), and makes the token then: no link or secret waits in
the task table (SECURITY_CASES 35). A mail server error queues it again later."""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from designpi.mail import SEND_ERRORS, absolute_url, build_email

from . import services
from .models import AccountEmail, User
from .tokens import invitation_tokens, password_reset_tokens

logger = logging.getLogger("designpi.accounts")


def _link(name: str, user: User, token: str) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return absolute_url(reverse(name, kwargs={"uidb64": uidb64, "token": token}))


def why_not_send(email: AccountEmail) -> str:
    """'' when the email is still wanted now, otherwise the reason it is not."""
    if email.kind == AccountEmail.Kind.VISITOR_LINK:
        return _why_not_send_visitor_link(email)
    user = email.user
    if email.kind == AccountEmail.Kind.INVITATION:
        if not user.invitation_pending:
            return "the invitation was accepted, or the account deactivated"
        newer = AccountEmail.objects.filter(user=user, kind=email.kind, pk__gt=email.pk).exists()
        return "replaced by a newer invitation" if newer else ""
    if not user.is_active or not user.has_usable_password():
        return "the account is deactivated or has no password to reset"
    return ""


def _why_not_send_visitor_link(email: AccountEmail) -> str:
    from conversations.models import Conversation

    if not Conversation.objects.open_to_visitors().filter(pk=email.visitor_pass.conversation_id).exists():
        return "the conversation is closed, or no longer a visitor's"
    newer = AccountEmail.objects.filter(visitor_pass=email.visitor_pass, kind=email.kind, pk__gt=email.pk).exists()
    return "replaced by a newer link" if newer else ""


def _visitor_link_message(email: AccountEmail):
    from leads.visitor import continue_link_token

    visitor_pass = email.visitor_pass
    lead = visitor_pass.conversation.lead
    token = continue_link_token(visitor_pass=visitor_pass)
    return build_email(
        to=lead.email,
        subject="Continue your conversation with DesignPi Support",
        template="leads/emails/continue_link",
        context={"lead": lead, "hours": settings.VISITOR_CONTINUE_LINK_MAX_AGE_HOURS,
                 "link": absolute_url(reverse("contact:continue", kwargs={"token": token}))},
    )


def _message(email: AccountEmail):
    if email.kind == AccountEmail.Kind.VISITOR_LINK:
        return _visitor_link_message(email)
    user = email.user
    if email.kind == AccountEmail.Kind.INVITATION:
        return build_email(
            to=user.email,
            subject="You are invited to DesignPi Support",
            template="accounts/emails/invitation",
            context={"user": user, "days": settings.INVITATION_MAX_AGE_DAYS,
                     "link": _link("accounts:invitation_accept", user, invitation_tokens.make_token(user))},
        )
    return build_email(
        to=user.email,
        subject="Reset your DesignPi Support password",
        template="accounts/emails/password_reset",
        context={"user": user, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
                 "link": _link("accounts:password_reset_confirm", user, password_reset_tokens.make_token(user))},
    )


@task()
def send_account_email(email_id: int) -> bool:
    email = services.account_email_claim(email_id=email_id)
    if email is None:
        return False
    reason = why_not_send(email)
    if reason:
        services.account_email_skip(email=email, reason=reason)
        return False
    try:
        _message(email).send()
    except SEND_ERRORS as error:
        services.account_email_retry_later(email=email, error=error)
        return False
    services.account_email_mark_sent(email=email)
    logger.info("account email %s (%s) sent to user %s visitor pass %s", email.pk, email.kind, email.user_id,
                email.visitor_pass_id)
    return True
