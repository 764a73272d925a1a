import logging
import zoneinfo
from datetime import timedelta
from functools import lru_cache, partial

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from designpi.mail import MAX_SEND_ATTEMPTS, SEND_LEASE, retry_wait

from .models import AccountEmail, Role, SignInFailure, User

logger = logging.getLogger("designpi.accounts")

# Sessions are read this many rows at a time when looking for one user's (see below).
SESSION_SCAN_CHUNK = 2000
# SignInFailure.account prefix for password reset requests: they count toward the
# per-network ceiling of sign-ins, never toward an account's sign-in ceiling.
RESET_ACCOUNT_PREFIX = "password-reset:"


def user_create(*, email: str, password: str | None, **fields) -> User:
    return User.objects.create_user(email, password, **fields)


def _enqueue_on_commit(task, *args) -> None:
    """Queue background work once the transaction commits (requests never send mail)."""
    transaction.on_commit(partial(task.enqueue, *args))


def account_email_queue(*, user: User, kind: str) -> AccountEmail:
    """Decide to send `user` an account email: its row now, in the caller's transaction,
    and the task that sends it once that commits (accounts.tasks.send_account_email)."""
    from .tasks import send_account_email

    email = AccountEmail.objects.create(user=user, kind=kind)
    _enqueue_on_commit(send_account_email, email.pk)
    return email


def account_email_queue_for_visitor(*, visitor_pass) -> AccountEmail:
    """The same for a website visitor's continue link (issue 12): the row names the
    visitor pass; the worker re-checks the conversation and makes the link when it sends."""
    from .tasks import send_account_email

    email = AccountEmail.objects.create(visitor_pass=visitor_pass, kind=AccountEmail.Kind.VISITOR_LINK)
    _enqueue_on_commit(send_account_email, email.pk)
    return email


def account_email_claim(*, email_id: int) -> AccountEmail | None:
    """Claim a row to send it: a queued one whose time has come, or one whose worker died
    while sending (claimed longer than SEND_LEASE ago). None for anything else (sent,
    skipped, failed, being sent now, not due yet), so a doubled task sends nothing. The
    claim queues the same task for after the lease: if this worker dies before marking
    the row, that one sends it."""
    from .tasks import send_account_email

    now = timezone.now()
    with transaction.atomic():
        email = (AccountEmail.objects.select_for_update().select_related("user", "visitor_pass")
                 .filter(pk=email_id).first())
        if email is None:
            return None
        due = (
            (email.state == AccountEmail.State.QUEUED and (email.next_attempt_at is None or email.next_attempt_at <= now))
            or (email.state == AccountEmail.State.SENDING and email.claimed_at <= now - SEND_LEASE)
        )
        if not due:
            return None
        email.state, email.claimed_at, email.attempts = AccountEmail.State.SENDING, now, email.attempts + 1
        email.save(update_fields=["state", "claimed_at", "attempts"])
        send_account_email.using(run_after=now + SEND_LEASE).enqueue(email.pk)
    return email


def account_email_mark_sent(*, email: AccountEmail) -> None:
    email.state, email.sent_at, email.reason = AccountEmail.State.SENT, timezone.now(), ""
    email.save(update_fields=["state", "sent_at", "reason"])


def account_email_skip(*, email: AccountEmail, reason: str) -> None:
    email.state, email.reason = AccountEmail.State.SKIPPED, reason[:200]
    email.save(update_fields=["state", "reason"])
    logger.info("account email %s (%s) skipped: %s", email.pk, email.kind, reason)


def account_email_retry_later(*, email: AccountEmail, error: BaseException) -> None:
    """The mail server failed: queue the row again after a growing wait, or give up."""
    from .tasks import send_account_email

    email.reason = f"{type(error).__name__}: {error}"[:200]
    with transaction.atomic():
        if email.attempts >= MAX_SEND_ATTEMPTS:
            email.state = AccountEmail.State.FAILED
            email.save(update_fields=["state", "reason"])
            logger.error("account email %s failed after %s attempts: %s", email.pk, email.attempts, email.reason)
            return
        email.state = AccountEmail.State.QUEUED
        email.next_attempt_at = timezone.now() + retry_wait(email.attempts)
        email.save(update_fields=["state", "reason", "next_attempt_at"])
        send_account_email.using(run_after=email.next_attempt_at).enqueue(email.pk)
    logger.warning("account email %s attempt %s failed (%s); next at %s", email.pk, email.attempts,
                   email.reason, email.next_attempt_at.isoformat())


def user_invite(*, actor: User, email: str, name: str, role: str, company: str = "", phone: str = "") -> User:
    """An admin invites someone (any role: the People page invites staff and customers,
    and a new admin is invited the same way). The account exists at once with an
    unusable password, so nobody can sign in with it until the invitation link sets one;
    the email (accounts.tasks.send_account_email) leaves after commit."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can invite people.")
    if role not in Role.values:
        raise ValidationError({"role": f"Unknown role {role!r}."})
    email = User.objects.normalize_email(email)
    taken = ValidationError({"email": "Someone already has an account with this email."}, code="unique")
    if User.objects.filter(email__iexact=email).exists():
        raise taken
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, None, name=name, role=role, company=company, phone=phone)
            account_email_queue(user=user, kind=AccountEmail.Kind.INVITATION)
    except IntegrityError:  # the same address invited at the same moment
        raise taken from None
    logger.info("user_invite actor=%s user=%s role=%s", actor.pk, user.pk, role)
    return user


def user_invitation_resend(*, actor: User, user: User) -> User:
    """Send a new invitation to someone who has not accepted yet. A new unusable password
    changes the token's hash, so the links sent before stop working."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can invite people.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.invitation_pending:
            raise ValidationError("This person has already set a password, or is deactivated.", code="not_pending")
        locked.set_unusable_password()
        locked.save(update_fields=["password"])
        account_email_queue(user=locked, kind=AccountEmail.Kind.INVITATION)
    logger.info("user_invitation_resend actor=%s user=%s", actor.pk, user.pk)
    return locked


def user_invitation_accept(*, user: User, password: str, time_zone: str = "") -> User:
    """The invited person sets their password (the view checked the link's token). Under
    the row lock the invitation must still be pending, so two tabs cannot both use it."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.invitation_pending:
            raise ValidationError("This invitation has already been used.", code="used")
        locked.set_password(password)
        locked.save(update_fields=["password"])
        user_remember_time_zone(user=locked, time_zone=time_zone)
    logger.info("user_invitation_accept user=%s", locked.pk)
    return locked


def user_deactivate(*, actor: User, user: User) -> User:
    """Deactivate an account: its sessions end at once (SECURITY_CASES 7) and a team
    member's conversations that are not closed become unassigned, so they show in the
    console's "Unassigned" list instead of waiting on someone who will not answer (closed
    ones keep their assignee as history). An admin cannot deactivate themselves or the
    last active admin."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can deactivate accounts.")
    if actor.pk == user.pk:
        raise ValidationError("You cannot deactivate your own account.", code="self")
    with transaction.atomic():
        # Every active admin row is locked, so two admins deactivating each other at the
        # same moment cannot leave nobody (the second waits, then sees the first's result).
        admins = list(User.objects.select_for_update().filter(role=Role.ADMIN, is_active=True)
                      .values_list("pk", flat=True))
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            user.is_active = False
            return user
        if locked.is_admin and admins == [locked.pk]:
            raise ValidationError("The last active admin cannot be deactivated.", code="last_admin")
        User.objects.filter(pk=locked.pk).update(is_active=False)
        if locked.is_team:
            _unassign_open_conversations(actor=actor, user=locked)
        ended = user_end_sessions(user=locked)
    logger.info("user_deactivate actor=%s user=%s sessions_ended=%s", actor.pk, user.pk, ended)
    user.is_active = False
    return user


def _unassign_open_conversations(*, actor: User, user: User) -> None:
    # Through conversation_assign, the one function that assigns (the ticket follows). The
    # row is locked first and re-read: one reassigned to someone else meanwhile is skipped.
    from conversations.models import Conversation, Status
    from conversations.services import conversation_assign

    pks = list(Conversation.objects.filter(assigned_to=user).exclude(status=Status.CLOSED).values_list("pk", flat=True))
    for pk in pks:
        conversation = Conversation.objects.select_for_update().filter(pk=pk, assigned_to=user).first()
        if conversation is not None:
            conversation_assign(actor=actor, conversation=conversation, assignee=None)


def user_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated person sign in again (with the password they had; someone whose
    invitation was pending stays invited and can be sent a new one)."""
    if not actor.is_admin:
        raise PermissionDenied("Only admins can reactivate accounts.")
    with transaction.atomic():
        updated = User.objects.filter(pk=user.pk, is_active=False).update(is_active=True)
    if updated:
        logger.info("user_reactivate actor=%s user=%s", actor.pk, user.pk)
    user.is_active = True
    return user


def user_end_sessions(*, user: User) -> int:
    """Delete the user's stored sessions (database-backed sessions).

    The session table does not say whose a row is, so the live rows are read in pages of
    SESSION_SCAN_CHUNK (key, data) by key order and decoded here: memory stays bounded on
    every database (mysqlclient would buffer one big result whole), one query per page
    plus one DELETE per page of matches. It is O(live sessions) for a rare admin action; a
    user column on a custom session model would make it one indexed DELETE (SECURITY.md).
    Deleting is defence in depth: an inactive user is already anonymous on the next
    request, because ModelBackend.get_user refuses inactive users, and the live stream
    re-checks sessions."""
    store = SessionStore()
    target = str(user.pk)
    live = Session.objects.filter(expire_date__gt=timezone.now()).order_by("session_key")
    keys, after = [], ""
    while True:
        page = list(live.filter(session_key__gt=after).values_list("session_key", "session_data")[:SESSION_SCAN_CHUNK])
        keys.extend(key for key, data in page if str(store.decode(data).get("_auth_user_id")) == target)
        if len(page) < SESSION_SCAN_CHUNK:
            break
        after = page[-1][0]
    for start in range(0, len(keys), SESSION_SCAN_CHUNK):
        Session.objects.filter(session_key__in=keys[start:start + SESSION_SCAN_CHUNK]).delete()
    return len(keys)


@lru_cache(maxsize=1)
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone_name(value: str) -> bool:
    return value in _time_zone_names()


def user_remember_time_zone(*, user: User, time_zone: str) -> bool:
    """Store the browser's IANA zone the first time we learn it (sign-in, invitation);
    an unknown name, or a zone already stored, changes nothing."""
    if user.time_zone or not is_time_zone_name(time_zone):
        return False
    updated = User.objects.filter(pk=user.pk, time_zone="").update(time_zone=time_zone)
    if updated:
        user.time_zone = time_zone
    return bool(updated)


def password_reset_request(*, email: str, network: str, users) -> int:
    """Someone asked for a reset link for `email` from `network`. Every request is counted
    (known address or not), so the answer and the work look the same either way; the
    emails (accounts.tasks.send_account_email) leave after commit, at most
    PASSWORD_RESET_LIMIT_PER_HOUR per address per hour, and none from a network over the
    sign-in ceiling. Returns how many emails were queued (for tests and the log only)."""
    from .selectors import signin_failure_count

    account = f"{RESET_ACCOUNT_PREFIX}{User.objects.normalize_email(email)}"[:254]
    now = timezone.now()
    with transaction.atomic():
        signin_failure_record(account=account, network=network)
        account_count = signin_failure_count(since=now - timedelta(hours=1), account=account)
        network_since = now - timedelta(minutes=settings.SIGNIN_ADDRESS_WINDOW_MINUTES)
        if account_count > settings.PASSWORD_RESET_LIMIT_PER_HOUR or (
            signin_failure_count(since=network_since, network=network) > settings.SIGNIN_ADDRESS_FAILURE_LIMIT
        ):
            logger.warning("password reset request over the limit network=%s", network)
            return 0
        queued = 0
        for user in users:
            account_email_queue(user=user, kind=AccountEmail.Kind.PASSWORD_RESET)
            queued += 1
    return queued


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
