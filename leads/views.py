"""The admin console's leads: a list with an inline status change, and on a lead
conversation's page (the console's) the lead's status and "Make customer"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import admin_required
from conversations.services import conversation_open_for_lead
from conversations.views import team
from conversations.views.team import CONSOLE
from conversations.views.thread import recent_messages
from designpi.http import LIST_PAGE_SIZE, bad_request, form_errors_text, invalid_change
from designpi.validators import parse_id

from .forms import LeadConvertForm, LeadFilterForm, LeadStatusForm
from .selectors import lead_list_for
from .services import lead_convert_to_customer, lead_set_status


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
    try:
        lead_set_status(actor=request.user, lead=lead, status=form.cleaned_data["status"])
    except ValidationError as error:
        return invalid_change(" ".join(error.messages))
    if request.htmx:
        return render(request, "leads/lead_list.html#row", {"lead": _with_status_form(lead)})
    return redirect("console:lead_list")


def _leads_conversation(request, pk):
    """(conversation, its lead or None), through the console's one access check (a
    conversation the admin cannot see is 404, like any other)."""
    conversation = CONSOLE.conversation_for(request, pk)
    return conversation, conversation.lead


@require_POST
@admin_required
def conversation_lead_status(request, pk):
    """POST status=<lead status> from a lead conversation's panel; htmx gets the panel."""
    conversation, lead = _leads_conversation(request, pk)
    if lead is None:
        return invalid_change("This conversation is not with a lead.")
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        return invalid_change(form)
    try:
        lead_set_status(actor=request.user, lead=lead, status=form.cleaned_data["status"])
    except ValidationError as error:
        return invalid_change(" ".join(error.messages))
    return team.changed_response(request, CONSOLE, conversation)


@require_POST
@admin_required
def conversation_make_customer(request, pk):
    """POST conversation=<id>: "Make customer" from a lead conversation's panel. The lead
    becomes a customer account (invited by email) and the chosen conversation, one of the
    lead's, becomes their portal conversation. A refusal shows this page again with the
    reason beside the button (400); nothing changes."""
    conversation, lead = _leads_conversation(request, pk)
    form = LeadConvertForm(request.POST, user=request.user)
    error = None
    if lead is None:
        error = "This conversation is not with a lead."
    elif not form.is_valid():
        error = form_errors_text(form)
    else:
        chosen = form.cleaned_data["conversation"]
        try:
            customer = lead_convert_to_customer(actor=request.user, lead=lead, conversation=chosen)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        else:
            messages.success(request, (
                f"{customer.display_name} is now a customer. An invitation to choose a password was emailed "
                f"to {customer.email}; this conversation is their portal conversation."
            ))
            return redirect("console:conversation_detail", chosen.pk)
    return team.render_detail(request, CONSOLE, conversation, messages=recent_messages(conversation, for_team=True),
                              status=400, extra={"convert_error": error})
