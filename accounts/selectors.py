from designpi.validators import parse_id

from .models import User


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
