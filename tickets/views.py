"""Ticket lists: the admin console's (every ticket) and the staff portal's (assigned to me).

Each portal's view says which list it is; the selector narrows to "assigned to me"
when asked, as the staff inbox does.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.decorators import admin_required, team_required
from designpi.http import LIST_PAGE_SIZE, bad_request

from .forms import TicketFilterForm
from .selectors import ticket_list_for


def _ticket_list(request, *, portal: str, assigned_only: bool, base_template: str):
    form = TicketFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    data = form.cleaned_data
    queryset = ticket_list_for(
        request.user, status=data["status"] or None, priority=data["priority"] or None, assigned_only=assigned_only
    )
    page = Paginator(queryset.order_by("-updated_at", "-id"), LIST_PAGE_SIZE).get_page(data["page"])
    filters = {key: data[key] for key in ("status", "priority") if data[key]}
    return render(request, "tickets/ticket_list.html", {
        "form": form,
        "page": page,
        "portal": portal,
        "base_template": base_template,
        "filter_query": urlencode(filters),
    })


@require_safe
@team_required
def staff_ticket_list(request):
    """The tickets of the conversations assigned to me (admins too, in the staff portal)."""
    return _ticket_list(request, portal="staff", assigned_only=True, base_template="staff/base.html")


@require_safe
@admin_required
def console_ticket_list(request):
    """Every ticket."""
    return _ticket_list(request, portal="console", assigned_only=False, base_template="console/base.html")
