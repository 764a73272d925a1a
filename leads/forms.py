from django import forms

from designpi.http import PageForm

from .models import LeadStatus


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=LeadStatus.choices)

    @classmethod
    def for_lead(cls, lead, *, id=None):
        """The control showing ``lead``'s status (a list row's, or ``id`` for another place)."""
        form = cls(initial={"status": lead.status})
        form.fields["status"].widget.attrs["id"] = id or f"lead-status-{lead.pk}"
        return form


class LeadFilterForm(PageForm):
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *LeadStatus.choices], required=False)


class LeadConvertForm(forms.Form):
    """"Make customer": which conversation becomes the new customer's portal conversation.
    Any conversation the admin can see is accepted here; the service refuses one that is
    not the lead's (with the reason), so that rule lives in one place."""

    conversation = forms.ModelChoiceField(
        label="Becomes their portal conversation",
        queryset=None,
        error_messages={
            "required": "Choose the conversation that becomes their portal conversation.",
            "invalid_choice": "That conversation does not exist.",
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from conversations.models import Conversation

        self.fields["conversation"].queryset = Conversation.objects.visible_to(user)
