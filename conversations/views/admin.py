"""The admin console's conversation pages (/admin/conversations/…).

Every conversation, filters for status, source and assignee, inline assignment and
status. The thread pages are the team's (views/team.py) with the console's portal:
every conversation, every control.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import admin_required
from accounts.selectors import team_member_list
from designpi.http import invalid_change
from tickets.forms import PriorityForm
from tickets.models import SupportTicket
from tickets.services import ticket_set_priority

from ..forms import UNASSIGNED, AssignForm, BulkForm, ConsoleFilterForm
from ..selectors import conversation_list_for
from ..services import BULK_LIMIT
from .. import services
from . import lists, team
from .team import CONSOLE


@require_safe
@admin_required
def home(request):
    return redirect("console:conversation_list")


def _console_list(request):
    """(form, queryset, count, stamp); queryset None when a filter is not allowed."""
    form = ConsoleFilterForm(request.GET, team=team_member_list())
    if not form.is_valid():
        return form, None, 0, ""
    queryset = console_queryset(request.user, form.cleaned_data)
    count, stamp = lists.list_stamp(queryset)
    return form, queryset, count, stamp


def console_queryset(user, data):
    """The console list's conversations for a valid ConsoleFilterForm's cleaned data:
    the list, its poll and the bulk actions' "all matching" select the same rows."""
    assignee = data["assigned_to"]  # "", "unassigned" or a team member
    return conversation_list_for(
        user,
        status=data["status"] or None,
        source=data["source"] or None,
        assigned_to=None if isinstance(assignee, str) else assignee,
        unassigned=assignee == UNASSIGNED,
        search=data["q"],
        mentioning=user if data.get("mentioned") else None,
    )


def _list_context(request, form, queryset, count, stamp) -> dict:
    data = form.cleaned_data
    search = data["q"]
    page, rows = lists.list_page(request.user, queryset, count=count, page_number=data["page"], search=search)
    assignee = data["assigned_to"]
    filters = {
        "q": search.text if search else "",
        "status": data["status"],
        "source": data["source"],
        "assigned_to": assignee if isinstance(assignee, str) else str(assignee.pk),
        "mentioned": data["mentioned"],
    }
    filters = {key: value for key, value in filters.items() if value}
    return {
        "form": form,
        "page": page,
        "search": search,
        # The team list the filter loaded is the page's one "Assign to" option list and
        # the bulk bar's (one query, rendered twice, whatever the number of rows).
        **team.console_row_context(rows, team=form.team),
        "bulk_form": BulkForm(team=form.team),
        "bulk_limit": BULK_LIMIT,
        "bulk_filters": {f"filter-{key}": value for key, value in filters.items()},
        "as_of": timezone.now().isoformat(),
        "filter_query": urlencode(filters),
        "poll_url": reverse("console:conversation_rows") + "?" + urlencode({**filters, "page": page.number, "stamp": stamp}),
    }


@require_safe
@admin_required
def conversation_list(request):
    return lists.list_response(
        request, load=_console_list, context=_list_context, template="console/conversation_list.html"
    )


@require_safe
@admin_required
def conversation_rows(request):
    """The list poll: the rows again when anything in the list changed, else 204."""
    return lists.list_response(
        request, load=_console_list, context=_list_context, template="console/conversation_list.html", rows_only=True
    )


@require_safe
@admin_required
def conversation_detail(request, pk):
    return team.conversation_detail(request, pk, portal=CONSOLE)


@require_safe
@admin_required
def conversation_messages(request, pk):
    """The thread poll: new messages after ?after=<seq>, or 204."""
    return team.conversation_messages(request, pk, portal=CONSOLE)


@require_POST
@admin_required
def conversation_reply(request, pk):
    return team.conversation_reply(request, pk, portal=CONSOLE)


@require_POST
@admin_required
def conversation_status(request, pk):
    return team.conversation_status(request, pk, portal=CONSOLE)


@require_POST
@admin_required
def conversation_snooze(request, pk):
    return team.conversation_snooze_view(request, pk, portal=CONSOLE)


@require_POST
@admin_required
def conversation_assign(request, pk):
    """POST assigned_to=<team member id or empty>: the ticket follows (SPEC §4.3)."""
    conversation = CONSOLE.conversation_for(request, pk)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return invalid_change(form)
    return team.apply_change(
        request, CONSOLE, conversation, services.conversation_assign, assignee=form.cleaned_data["assigned_to"]
    )


@require_POST
@admin_required
def conversation_priority(request, pk):
    """POST priority=<low|normal|high|urgent> for the conversation's ticket."""
    conversation = CONSOLE.conversation_for(request, pk)
    ticket = SupportTicket.objects.visible_to(request.user).filter(conversation=conversation).first()
    if ticket is None:
        return invalid_change("This conversation has no ticket yet.")
    form = PriorityForm(request.POST)
    if not form.is_valid():
        return invalid_change(form)
    ticket_set_priority(actor=request.user, ticket=ticket, priority=form.cleaned_data["priority"])
    return team.changed_response(request, CONSOLE, conversation)
