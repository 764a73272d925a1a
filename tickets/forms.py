from django import forms

from conversations.models import Status

from .models import Priority


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label="Priority", choices=Priority.choices)


class TicketFilterForm(forms.Form):
    """?status=&priority=&page= for the ticket lists (allow-listed)."""

    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *Status.choices], required=False)
    priority = forms.ChoiceField(label="Priority", choices=[("", "All priorities"), *Priority.choices], required=False)
    page = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
