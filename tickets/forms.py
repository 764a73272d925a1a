from django import forms

from conversations.models import Status
from designpi.http import PageForm

from .models import Priority


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label="Priority", choices=Priority.choices)

    @classmethod
    def for_ticket(cls, ticket, *, id: str):
        """The control showing ``ticket``'s priority (``id`` names it for its label)."""
        form = cls(initial={"priority": ticket.priority})
        form.fields["priority"].widget.attrs["id"] = id
        return form


class TicketFilterForm(PageForm):
    """?status=&priority=&page= for the ticket lists (allow-listed)."""

    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *Status.choices], required=False)
    priority = forms.ChoiceField(label="Priority", choices=[("", "All priorities"), *Priority.choices], required=False)
