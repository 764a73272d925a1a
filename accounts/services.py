from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import User


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
