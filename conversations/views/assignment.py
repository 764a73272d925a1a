"""Automatic assignment's pages (issue 14): the console's Assignment page (admins: the
mode and each team member's capacity) and the availability switch in the staff header
(each team member, for themselves). The rules are in conversations/assignment.py."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from accounts.decorators import admin_required, team_required
from accounts.models import User
from designpi.http import error_response, form_errors_text

from ..assignment import assignment_policy, assignment_set_mode, team_loads, user_set_available, user_set_capacity
from ..forms import AssignmentModeForm, AvailabilityForm, CapacityForm


@require_safe
@admin_required
def assignment_page(request):
    """The mode, and a row per active team member: available, open now, capacity."""
    policy = assignment_policy()
    team = list(User.objects.team().order_by("name", "email"))
    loads = team_loads([member.pk for member in team])
    rows = [{"member": member, "load": loads[member.pk]} for member in team]
    return render(request, "console/assignment.html", {
        "policy": policy,
        "mode_form": AssignmentModeForm(initial={"mode": policy.mode}),
        "rows": rows,
    })


@require_POST
@admin_required
def assignment_mode(request):
    form = AssignmentModeForm(request.POST)
    if not form.is_valid():
        return error_response(request, 400, form_errors_text(form))
    policy = assignment_set_mode(actor=request.user, mode=form.cleaned_data["mode"])
    messages.success(request, f"Automatic assignment: {policy.get_mode_display()}.")
    return redirect("console:assignment")


@require_POST
@admin_required
def assignment_capacity(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        return error_response(request, 400, form_errors_text(form))
    try:
        user_set_capacity(actor=request.user, user=person, capacity=form.cleaned_data["capacity"])
    except ValidationError as error:
        return error_response(request, 400, " ".join(error.messages))
    messages.success(request, f"{person.display_name} takes at most {person.capacity} open conversations.")
    return redirect("console:assignment")


@require_POST
@team_required
def availability(request):
    """The header switch: back to the page it was on (same site only)."""
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        return error_response(request, 400, form_errors_text(form))
    user_set_available(actor=request.user, available=form.cleaned_data["available"] == "on")
    target = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = "staff:conversation_list"
    return redirect(target)
