from .models import User


def team_member_list():
    """Active admins and staff: whom a conversation can be assigned to."""
    return User.objects.team().order_by("name", "email")


def team_member_get(pk):
    """An active team member by id, or None (for validating an assignee)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return User.objects.team().filter(pk=pk).first()
