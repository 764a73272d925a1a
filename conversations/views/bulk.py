"""The admin list's bulk actions (issue 13.2): tick rows, or take everything matching
the filters, then assign, unassign or set a status.

Two steps, two URLs: POST …/bulk/confirm/ changes nothing and shows what will happen
to how many; POST …/bulk/ applies it through conversation_bulk_apply (each conversation
through the single-change services, one lock each) and comes back to the list with the
report as a message. Both work as plain form posts; the list's htmx shows the
confirmation in place.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.views.decorators.http import require_POST

from accounts.decorators import admin_required
from accounts.selectors import team_member_list
from designpi.http import invalid_change

from ..forms import BulkForm, ConsoleFilterForm
from ..services import BULK_LIMIT, conversation_bulk_apply
from .admin import console_queryset

TEMPLATE = "console/conversation_bulk.html"


class Selection:
    """The conversations a valid BulkForm means: its ids, or (``matching``) every one the
    posted filters select now, with a check that the set is still the one the admin saw."""

    def __init__(self, request, form: BulkForm, filters: ConsoleFilterForm):
        data = form.cleaned_data
        self.matching = data["matching"]
        self.filters = {key: value for key, value in filters.data.items() if key.startswith("filter-") and value}
        if not self.matching:
            self.ids, self.queryset = data["ids"], None
            return
        self.queryset = console_queryset(request.user, filters.cleaned_data)
        self.ids = list(self.queryset.values_list("pk", flat=True)[: BULK_LIMIT + 1])

    @property
    def count(self) -> int:
        return len(self.ids)

    def list_url(self) -> str:
        query = urlencode({key.removeprefix("filter-"): value for key, value in self.filters.items()})
        return reverse("console:conversation_list") + (f"?{query}" if query else "")


def _load(request):
    """(form, selection) or (None, a 400 answer with the reason)."""
    team = team_member_list()
    form = BulkForm(request.POST, team=team)
    filters = ConsoleFilterForm(request.POST, team=form.team, prefix="filter")
    if not form.is_valid():
        return None, invalid_change(form)
    if not filters.is_valid():
        return None, invalid_change(filters)
    selection = Selection(request, form, filters)
    if selection.count > BULK_LIMIT:
        return None, invalid_change(
            f"These filters match more than {BULK_LIMIT:,} conversations; bulk actions take at most "
            f"{BULK_LIMIT:,} at once. Narrow the filters and try again.")
    return form, selection


def _confirm(request, form, selection, *, status=200, recount=None):
    context = {"form": form, "selection": selection, "action": form.describe(), "recount": recount}
    return render(request, TEMPLATE + ("#confirm" if request.htmx else ""), context, status=status)


@require_POST
@admin_required
def conversation_bulk_confirm(request):
    """What will happen to how many conversations; changes nothing."""
    form, selection = _load(request)
    if form is None:
        return selection
    expected = form.cleaned_data["expected_count"]
    moved = selection.matching and selection.count != expected
    return _confirm(request, form, selection, recount=selection.count if moved else None)


@require_POST
@admin_required
def conversation_bulk(request):
    """Apply it; the report comes back as a message on the list. For "all matching",
    a count that moved since the admin confirmed it answers 409 with the new count to
    confirm again: nobody changes a set they did not see."""
    form, selection = _load(request)
    if form is None:
        return selection
    data = form.cleaned_data
    if selection.matching and selection.count != data["expected_count"]:
        return _confirm(request, form, selection, status=409, recount=selection.count)
    try:
        result = conversation_bulk_apply(
            actor=request.user, ids=selection.ids, assignee=data["assignee"], status=data["status"] or None,
            unchanged_since=data["as_of"], within=selection.queryset,
        )
    except ValidationError as error:
        return invalid_change(" ".join(error.messages))
    level = messages.WARNING if result.failed else messages.SUCCESS
    messages.add_message(request, level, f"{capfirst(form.describe())}: {result.summary()}")
    return redirect(selection.list_url())
