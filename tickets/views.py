"""Ticket lists: the admin console's (every ticket) and the staff portal's (assigned to me).

One view, mounted in both portals with the right role decorator; the staff portal
narrows to the viewer's assignments, as the staff inbox does.
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from accounts.decorators import admin_required, team_required
from conversations.views.shared import LIST_PAGE_SIZE, bad_request, portal_of

from .forms import TicketFilterForm
from .selectors import ticket_list_for


def ticket_list(request):
    form = TicketFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    data = form.cleaned_data
    portal = portal_of(request)
    queryset = ticket_list_for(request.user, status=data["status"] or None, priority=data["priority"] or None)
    if portal == "staff":
        queryset = queryset.filter(assigned_to=request.user)
    page = Paginator(queryset.order_by("-updated_at", "-id"), LIST_PAGE_SIZE).get_page(data["page"])
    filters = {key: data[key] for key in ("status", "priority") if data[key]}
    return render(request, "tickets/ticket_list.html", {
        "form": form,
        "page": page,
        "portal": portal,
        "base_template": "console/base.html" if portal == "console" else "staff/base.html",
        "filter_query": urlencode(filters),
    })


staff_ticket_list = require_safe(team_required(ticket_list))
console_ticket_list = require_safe(admin_required(ticket_list))
