"""Emails about accounts, sent by the worker (`manage.py db_worker`), never by a request.

Each task is given only a user id. It re-reads the account when it runs and sends nothing
to someone who may no longer use the link (deactivated, or the invitation already
accepted / a password no longer usable), and it makes the token then: no link or secret
waits in the task table (SECURITY_CASES 35)."""

import logging

from django.conf import settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks import task

from designpi.mail import absolute_url, build_email

from .models import User
from .tokens import invitation_tokens, password_reset_tokens

logger = logging.getLogger("designpi.accounts")


def _link(name: str, user: User, token: str) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return absolute_url(reverse(name, kwargs={"uidb64": uidb64, "token": token}))


@task()
def send_invitation(user_id: int) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.invitation_pending:
        logger.info("send_invitation skipped user=%s (gone, deactivated or accepted)", user_id)
        return False
    link = _link("accounts:invitation_accept", user, invitation_tokens.make_token(user))
    build_email(
        to=user.email,
        subject="You are invited to DesignPi Support",
        template="accounts/emails/invitation",
        context={"user": user, "link": link, "days": settings.INVITATION_MAX_AGE_DAYS},
    ).send()
    logger.info("send_invitation sent user=%s", user_id)
    return True


@task()
def send_password_reset(user_id: int) -> bool:
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.is_active or not user.has_usable_password():
        logger.info("send_password_reset skipped user=%s", user_id)
        return False
    link = _link("accounts:password_reset_confirm", user, password_reset_tokens.make_token(user))
    build_email(
        to=user.email,
        subject="Reset your DesignPi Support password",
        template="accounts/emails/password_reset",
        context={"user": user, "link": link, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    ).send()
    logger.info("send_password_reset sent user=%s", user_id)
    return True
