"""The admin console's leads: a list with an inline status change."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import admin_required
from conversations.services import conversation_open_for_lead
from designpi.http import LIST_PAGE_SIZE, bad_request, invalid_change
from designpi.validators import parse_id

from .forms import LeadFilterForm, LeadStatusForm
from .selectors import lead_list_for
from .services import lead_set_status


def _with_status_form(lead):
    lead.status_form = LeadStatusForm.for_lead(lead)
    return lead


@require_safe
@admin_required
def lead_list(request):
    form = LeadFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    status = form.cleaned_data["status"]
    page = Paginator(lead_list_for(request.user, status=status or None), LIST_PAGE_SIZE).get_page(form.cleaned_data["page"])
    page.object_list = [_with_status_form(lead) for lead in page.object_list]
    return render(request, "leads/lead_list.html", {
        "form": form,
        "page": page,
        "filter_query": urlencode({"status": status} if status else {}),
    })


def _lead_for(request, pk):
    lead = lead_list_for(request.user).filter(pk=pk).first() if parse_id(pk) else None
    if lead is None:
        raise Http404("No such lead.")
    return lead


@require_POST
@admin_required
def lead_conversation(request, pk):
    """POST: open the lead's conversation in the console, starting one if there is none."""
    conversation, _ = conversation_open_for_lead(actor=request.user, lead=_lead_for(request, pk))
    return redirect("console:conversation_detail", conversation.pk)


@require_POST
@admin_required
def lead_status(request, pk):
    lead = _lead_for(request, pk)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        return invalid_change(form)
    lead_set_status(actor=request.user, lead=lead, status=form.cleaned_data["status"])
    if request.htmx:
        return render(request, "leads/lead_list.html#row", {"lead": _with_status_form(lead)})
    return redirect("console:lead_list")
