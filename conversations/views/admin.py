"""The admin console's conversation pages (/admin/conversations/…).

Every conversation, filters for status, source and assignee, inline assignment and
status. The thread views are shared with the staff inbox (views/shared.py); here
they get admin_required.
"""

from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import admin_required
from accounts.selectors import team_member_list
from tickets.forms import PriorityForm
from tickets.models import SupportTicket
from tickets.services import ticket_set_priority

from ..forms import UNASSIGNED, AssignForm, ConsoleFilterForm
from ..models import Status
from ..selectors import conversation_list_for
from .. import services
from . import shared


@require_safe
@admin_required
def home(request):
    return redirect("console:conversation_list")


def _console_list(request):
    """(form, queryset, count, stamp); queryset None when a filter is not allowed."""
    team = team_member_list()
    form = ConsoleFilterForm(request.GET, team=team)
    if not form.is_valid():
        return form, None, 0, ""
    data = form.cleaned_data
    assignee = data["assigned_to"]  # "", "unassigned" or a team member
    queryset = conversation_list_for(
        request.user,
        status=data["status"] or None,
        source=data["source"] or None,
        assigned_to=None if isinstance(assignee, str) else assignee,
        unassigned=assignee == UNASSIGNED,
    )
    count, stamp = shared.list_stamp(queryset)
    return form, queryset, count, stamp


def _list_context(request, form, queryset, count, stamp) -> dict:
    page, rows = shared.list_page(request.user, queryset, count=count, page_number=form.cleaned_data["page"])
    data = form.cleaned_data
    assignee = data["assigned_to"]
    filters = {
        "status": data["status"],
        "source": data["source"],
        "assigned_to": assignee if isinstance(assignee, str) else str(assignee.pk),
    }
    filters = {key: value for key, value in filters.items() if value}
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "team": form.team,
        "status_choices": Status.choices,
        "filter_query": urlencode(filters),
        "poll_url": reverse("console:conversation_rows") + "?" + urlencode({**filters, "page": page.number, "stamp": stamp}),
    }


@require_safe
@admin_required
def conversation_list(request):
    return shared.list_response(
        request, load=_console_list, context=_list_context, template="console/conversation_list.html"
    )


@require_safe
@admin_required
def conversation_rows(request):
    """The list poll: the rows again when anything in the list changed, else 204."""
    return shared.list_response(
        request, load=_console_list, context=_list_context, template="console/conversation_list.html", rows_only=True
    )


@require_POST
@admin_required
def conversation_assign(request, pk):
    """POST assigned_to=<team member id or empty>: the ticket follows (SPEC §4.3)."""
    conversation = shared.team_conversation_for(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return shared.invalid_change(request, form)
    services.conversation_assign(actor=request.user, conversation=conversation, assignee=form.cleaned_data["assigned_to"])
    return shared.changed_response(request, conversation)


@require_POST
@admin_required
def conversation_priority(request, pk):
    """POST priority=<low|normal|high|urgent> for the conversation's ticket."""
    conversation = shared.team_conversation_for(request, pk)
    ticket = SupportTicket.objects.visible_to(request.user).filter(conversation=conversation).first()
    if ticket is None:
        return HttpResponse("This conversation has no ticket yet.", status=400, content_type="text/plain; charset=utf-8")
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return shared.invalid_change(request, form)
    ticket_set_priority(actor=request.user, ticket=ticket, priority=form.cleaned_data["priority"])
    return shared.changed_response(request, conversation)


conversation_detail = require_safe(admin_required(shared.conversation_detail))
conversation_messages = require_safe(admin_required(shared.conversation_messages))
conversation_reply = require_POST(admin_required(shared.conversation_reply))
conversation_status = require_POST(admin_required(shared.conversation_status))
