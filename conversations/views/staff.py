"""The staff inbox (/staff/): the conversations assigned to the signed-in team member.

Admins may use it too, for the conversations assigned to them: every view here asks
for "assigned to me" (team.STAFF.assigned_only), whoever the viewer is.
"""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import team_required

from ..forms import InboxFilterForm
from ..selectors import conversation_assigned_list_for
from . import lists, team
from .attention import attention_response
from .team import STAFF


@require_safe
@team_required
def index(request):
    return redirect("staff:conversation_list")


def _inbox(request):
    """(form, queryset, count, stamp) for the inbox's validated filters; queryset None if invalid."""
    form = InboxFilterForm(request.GET)
    if not form.is_valid():
        return form, None, 0, ""
    data = form.cleaned_data
    queryset = conversation_assigned_list_for(request.user, status=data["status"] or None, search=data["q"],
                                              mentioning=request.user if data["mentioned"] else None)
    count, stamp = lists.list_stamp(queryset)
    return form, queryset, count, stamp


def _list_context(request, form, queryset, count, stamp) -> dict:
    search = form.cleaned_data["q"]
    page, rows = lists.list_page(request.user, queryset, count=count, page_number=form.cleaned_data["page"], search=search)
    filters = {"q": search.text if search else "", "status": form.cleaned_data["status"],
               "mentioned": form.cleaned_data["mentioned"]}
    return {
        "form": form,
        "page": page,
        "rows": rows,
        "search": search,
        "filter_query": urlencode({k: v for k, v in filters.items() if v}),
        "poll_url": reverse("staff:conversation_rows") + "?" + urlencode({**filters, "page": page.number, "stamp": stamp}),
    }


@require_safe
@team_required
def conversation_list(request):
    """Assigned to me, newest activity first, filter by status, unread badges, previews."""
    return lists.list_response(request, load=_inbox, context=_list_context, template="staff/conversation_list.html")


@require_safe
@team_required
def conversation_rows(request):
    """The list poll: the rows again when anything in the list changed, else 204."""
    return lists.list_response(
        request, load=_inbox, context=_list_context, template="staff/conversation_list.html", rows_only=True
    )


@require_safe
@team_required
def conversation_detail(request, pk):
    return team.conversation_detail(request, pk, portal=STAFF)


@require_safe
@team_required
def conversation_messages(request, pk):
    """The thread poll: new messages after ?after=<seq>, or 204."""
    return team.conversation_messages(request, pk, portal=STAFF)


@require_POST
@team_required
def conversation_reply(request, pk):
    return team.conversation_reply(request, pk, portal=STAFF)


@require_POST
@team_required
def conversation_status(request, pk):
    """The assigned staff member (or an admin, in their own inbox) sets the status."""
    return team.conversation_status(request, pk, portal=STAFF)


@require_POST
@team_required
def conversation_snooze(request, pk):
    """The assigned staff member (or an admin, in their own inbox) snoozes it."""
    return team.conversation_snooze_view(request, pk, portal=STAFF)


@require_safe
@team_required
def attention(request):
    """The viewer's assigned conversations with unread participant messages, for the
    tab's title, icon and notifications (JSON); admins get theirs too."""
    return attention_response(request, url_for=lambda pk: reverse("staff:conversation_detail", args=[pk]))
