"""The staff inbox (/staff/): the conversations assigned to the signed-in team member.

Admins may use it too, for the conversations assigned to them. The thread views are
shared with the admin console (views/shared.py); here they get team_required.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import team_required

from ..forms import InboxFilterForm
from ..selectors import conversation_assigned_list_for
from . import shared


@require_safe
@team_required
def index(request):
    return redirect("staff:conversation_list")


def _inbox(request):
    """(form, queryset, count, stamp) for the inbox's validated filters; queryset None if invalid."""
    form = InboxFilterForm(request.GET)
    if not form.is_valid():
        return form, None, 0, ""
    queryset = conversation_assigned_list_for(request.user, status=form.cleaned_data["status"] or None)
    count, stamp = shared.list_stamp(queryset)
    return form, queryset, count, stamp


def _list_context(request, form, queryset, count, stamp) -> dict:
    page, rows = shared.list_page(request.user, queryset, count=count, page_number=form.cleaned_data["page"])
    filters = {"status": form.cleaned_data["status"]}
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
        "poll_url": reverse("staff:conversation_rows") + "?" + urlencode({**filters, "page": page.number, "stamp": stamp}),
    }


@require_safe
@team_required
def conversation_list(request):
    """Assigned to me, newest activity first, filter by status, unread badges, previews."""
    return shared.list_response(request, load=_inbox, context=_list_context, template="staff/conversation_list.html")


@require_safe
@team_required
def conversation_rows(request):
    """The list poll: the rows again when anything in the list changed, else 204."""
    return shared.list_response(
        request, load=_inbox, context=_list_context, template="staff/conversation_list.html", rows_only=True
    )


conversation_detail = require_safe(team_required(shared.conversation_detail))
conversation_messages = require_safe(team_required(shared.conversation_messages))
conversation_reply = require_POST(team_required(shared.conversation_reply))
conversation_status = require_POST(team_required(shared.conversation_status))
