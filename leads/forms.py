from django import forms

from designpi.http import PageForm

from .models import LeadStatus


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=LeadStatus.choices)

    @classmethod
    def for_lead(cls, lead):
        """The list row's control showing ``lead``'s status."""
        form = cls(initial={"status": lead.status})
        form.fields["status"].widget.attrs["id"] = f"lead-status-{lead.pk}"
        return form


class LeadFilterForm(PageForm):
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *LeadStatus.choices], required=False)
