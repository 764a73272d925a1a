from axes.models import AccessLog

from designpi.validators import parse_id

from .models import SignInFailure, User


def team_member_list():
    """Active admins and staff: whom a conversation can be assigned to."""
    return User.objects.team().order_by("name", "email")


def team_member_get(pk):
    """An active team member by id, or None (for validating an assignee)."""
    pk = parse_id(pk)
    if pk is None:
        return None
    return User.objects.team().filter(pk=pk).first()


def user_list_for(viewer, *, role=None):
    """Everyone with an account, for the admin console's people list; nobody for others."""
    if not (viewer.is_authenticated and viewer.is_active and viewer.is_admin):
        return User.objects.none()
    queryset = User.objects.all()
    if role:
        queryset = queryset.filter(role=role)
    return queryset.order_by("role", "name", "email")


def signin_failure_count(*, since, account: str | None = None, network: str | None = None) -> int:
    """Failed credential checks since a moment, for one account name or one client network."""
    queryset = SignInFailure.objects.filter(at__gte=since)
    if account is not None:
        queryset = queryset.filter(account=account)
    if network is not None:
        queryset = queryset.filter(network=network)
    return queryset.count()


def signin_recent_addresses(*, account: str, since, limit: int = 200) -> list[str]:
    """Addresses this account signed in from successfully since a moment (axes' access
    log of sign-ins), newest first."""
    rows = (AccessLog.objects.filter(username=account, attempt_time__gte=since)
            .order_by("-attempt_time").values_list("ip_address", flat=True)[:limit])
    return [ip for ip in rows if ip]
