from django import forms

from .models import LeadStatus


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=LeadStatus.choices)


class LeadFilterForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *LeadStatus.choices], required=False)
    page = forms.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
