"""What every credential check passes first: sign-in (ours and /django-admin/) and the
old password of a password change, through accounts.backends.SignInGuardBackend.

Three refusals, all before any password is hashed:

* the client address cannot be told (designpi.client_ip returns None: gunicorn on a
  Unix socket without TRUSTED_PROXIES, or a trusted proxy sending no usable
  X-Forwarded-For). Keying those on one shared value would let five wrong passwords
  lock an account for everyone, so sign-in is refused and an error names the setting;
* more than SIGNIN_ACCOUNT_FAILURE_LIMIT failures for this account name, from any
  address, in SIGNIN_ACCOUNT_WINDOW_MINUTES, unless the address is one the account
  recently signed in from (so strangers cannot lock the owner out for good);
* more than SIGNIN_ADDRESS_FAILURE_LIMIT failures from this client network (IPv6 /64,
  IPv4 address), whatever the account, in SIGNIN_ADDRESS_WINDOW_MINUTES: password
  spraying, including unknown emails, which would otherwise still cost an Argon2 hash.

The two ceilings give the answer of any lockout (axes' lockout page, 429), and they
count unknown accounts like real ones, so they reveal nothing about which exist.

Why not django-axes for the ceilings: axes 8.3 compares one limit
(AXES_FAILURE_LIMIT, even as a callable it is not told which parameter set it is
judging) against the largest count over all AXES_LOCKOUT_PARAMETERS sets, within one
window (AXES_COOLOFF_TIME), and it deletes expired attempts by that same window; it
cannot group IPv6 addresses by /64; and AXES_RESET_ON_SUCCESS deletes the attempts of
every parameter set, so a sprayer holding one valid account could clear the per-address
count by signing in. Axes keeps the per-(account, address) lock; these ceilings live in
accounts.models.SignInFailure, in the database, so every worker and host shares them.
"""

import ipaddress
import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from designpi.client_ip import client_ip_address, login_username

from .selectors import signin_failure_count, signin_recent_addresses
from .services import signin_failure_forget, signin_failure_record

log = logging.getLogger("designpi.signin")

UNKNOWN_ADDRESS_MESSAGE = (
    "Sign-in is unavailable: the server cannot tell where this request comes from. "
    "Please tell the site's operator."
)

# Set on the request while its credential check counts as a failure (see record below).
_PENDING = "_signin_failure_pk"


def client_network(ip: str) -> str:
    """The unit the per-address ceiling counts: an IPv4 address, or an IPv6 /64 (one
    subscriber usually holds a whole /64, and picks addresses inside it at will)."""
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def client_address_unknown(request) -> bool:
    """True (and an error in the log naming what to fix) when sign-in must be refused
    because this request's client address cannot be told apart from others'."""
    if client_ip_address(request) is not None:
        return False
    log.error(
        "sign-in refused: no usable client address (REMOTE_ADDR=%r, X-Forwarded-For=%r). "
        "Set TRUSTED_PROXIES to your reverse proxy's address (e.g. 127.0.0.1) and make it send "
        "X-Forwarded-For (nginx: proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;), "
        "or bind gunicorn to a TCP address.",
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", "")[:200],
    )
    return True


def admit(request, username) -> bool:
    """Whether this credential check may go on to the password. When it may, it is
    already counted as a failure (so parallel attempts cannot all pass under a ceiling);
    succeeded(request) takes it back."""
    if client_address_unknown(request):
        request.signin_address_unknown = True
        return False
    ip = client_ip_address(request)
    network = client_network(ip)
    account = login_username(request, {settings.AXES_USERNAME_FORM_FIELD: username}) or ""
    pk = signin_failure_record(account=account, network=network)
    now = timezone.now()
    scope = None
    network_since = now - timedelta(minutes=settings.SIGNIN_ADDRESS_WINDOW_MINUTES)
    if signin_failure_count(since=network_since, network=network) > settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
        scope = "network"
    elif account and _account_over_ceiling(account, now) and not _known_address(account, network, now):
        scope = "account"
    if scope:
        # Refused unread: not counted again, so the table stays within the ceilings.
        signin_failure_forget(pk=pk)
        log.warning("sign-in ceiling reached scope=%s network=%s", scope, network)
        # The answer of any lockout: axes.middleware.AxesMiddleware renders its lockout page.
        request.axes_locked_out = True
        return False
    setattr(request, _PENDING, pk)
    return True


def succeeded(request) -> None:
    """The password was right: the check admitted on this request is no failure."""
    pk = getattr(request, _PENDING, None)
    if pk is not None:
        signin_failure_forget(pk=pk)
        delattr(request, _PENDING)


def _account_over_ceiling(account: str, now) -> bool:
    since = now - timedelta(minutes=settings.SIGNIN_ACCOUNT_WINDOW_MINUTES)
    return signin_failure_count(since=since, account=account) > settings.SIGNIN_ACCOUNT_FAILURE_LIMIT


def _known_address(account: str, network: str, now) -> bool:
    if not settings.SIGNIN_KNOWN_ADDRESS_DAYS:
        return False
    since = now - timedelta(days=settings.SIGNIN_KNOWN_ADDRESS_DAYS)
    return any(client_network(ip) == network for ip in signin_recent_addresses(account=account, since=since))
