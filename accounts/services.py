from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import SignInFailure, User


def user_create(*, email: str, password: str | None, **fields) -> User:
    return User.objects.create_user(email, password, **fields)


def user_deactivate(*, actor, user: User) -> User:
    """Deactivate an account and end every session it has (SECURITY_CASES 7)."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can deactivate accounts.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user_end_sessions(user=user)
    user.is_active = False
    return user


def user_end_sessions(*, user: User) -> int:
    """Delete the user's stored sessions (database-backed sessions only)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    return ended


def signin_failure_record(*, account: str, network: str) -> int:
    """Count a credential check against its account and network before the password is
    checked (see accounts/signin_guard.py); returns the row's id to forget it again."""
    return SignInFailure.objects.create(account=account[:254], network=network).pk


def signin_failure_forget(*, pk: int) -> None:
    """The check it was recorded for succeeded, or was refused unread: not a failure."""
    SignInFailure.objects.filter(pk=pk).delete()


def signin_records_prune(*, older_than) -> int:
    """Delete ceiling counters older than a moment; they no longer count in any window."""
    deleted, _ = SignInFailure.objects.filter(at__lt=older_than).delete()
    return deleted
