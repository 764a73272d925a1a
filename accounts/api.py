"""Accounts in the JSON API: the team members a conversation can be assigned to."""

from ninja import Query, Router, Schema

from designpi.api_common import PageQuery, admin_only, responses

from .selectors import team_member_list

router = Router(tags=["team"])


class TeamMemberOut(Schema):
    id: int
    name: str
    email: str
    role: str


class TeamMemberListOut(Schema):
    items: list[TeamMemberOut]
    count: int


@router.get(
    "/admin/staff",
    auth=admin_only,
    response=responses({200: TeamMemberListOut}),
    summary="Team members a conversation can be assigned to (admin)",
)
def admin_staff_list(request, page: Query[PageQuery]):
    """Active admins and staff, by name: the valid values of `assigned_to`."""
    queryset = team_member_list()
    count = queryset.count()
    rows = queryset[page.offset : page.offset + page.limit]
    return {
        "items": [{"id": u.pk, "name": u.display_name, "email": u.email, "role": u.role} for u in rows],
        "count": count,
    }
