import base64
import json

from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django_altcha import AltchaField, AltchaWidget

from conversations.services import message_clean_body
from designpi.http import PageForm
from designpi.validators import reject_control_characters

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


# --- The public contact chat (issue 12) ------------------------------------------------


class ProofOfWorkWidget(AltchaWidget):
    """django-altcha's widget without its extra hidden input (the element makes its own),
    loading the script and its stylesheet from our static files (no CDN; the stylesheet
    is a <link> because the strict CSP refuses the <style> the script would inject)."""

    template_name = "leads/altcha_widget.html"  # in leads/templates: the form renderer reads apps' templates


class ProofOfWorkField(AltchaField):
    """ALTCHA's check of the solution (signature, expiry) at validation. Marking the
    challenge spent is left to the view (proof_of_work_spend), once everything else has
    passed, so a form refused for another reason does not burn the visitor's solution."""

    widget = ProofOfWorkWidget

    def replay_attack_protection(self, payload):
        return None


def proof_of_work_challenge(payload: str) -> str | None:
    """The challenge inside a payload, None when it is not one (bad base64, not UTF-8 or
    JSON, not an object, no challenge): the caller then refuses it."""
    try:
        return json.loads(base64.b64decode(payload).decode())["challenge"]
    except (ValueError, KeyError, TypeError):  # binascii.Error, JSONDecodeError, UnicodeDecodeError are ValueErrors
        return None


def proof_of_work_spend(payload: str) -> bool:
    """Mark the solved challenge used, atomically in the shared database cache: False when
    it was used before (a replay), from any worker."""
    challenge = proof_of_work_challenge(payload)
    if not challenge or not isinstance(challenge, str):
        return False
    timeout = settings.ALTCHA_CHALLENGE_EXPIRE // 1000
    return caches[settings.ALTCHA_CACHE_ALIAS].add(f"altcha:{challenge}", True, timeout=timeout)


class ContactForm(forms.Form):
    """The first message of a website visitor. ``website`` is a honeypot: hidden from
    people (and from screen readers), filled in by bots that fill every field."""

    name = forms.CharField(label="Name", max_length=150, validators=[reject_control_characters],
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    company = forms.CharField(label="Company (optional)", max_length=150, required=False,
                              validators=[reject_control_characters],
                              widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    body = forms.CharField(label="Message", strip=False, error_messages={"required": "Write a message before sending."},
                           widget=forms.Textarea(attrs={"rows": 4}))
    website = forms.CharField(label="Leave this field empty", required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))
    altcha = ProofOfWorkField(label="Proof of work", auto="onload", hidefooter=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["altcha"].widget
        # A copy per form: django-altcha writes each rendering's challenge into the options.
        widget.options = {**widget.options, "maxnumber": settings.ALTCHA_MAX_NUMBER}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Tell us your name.", code="required")
        return name

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_body(self):
        return message_clean_body(self.cleaned_data["body"])

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise ValidationError("This message looks automated, so it was not sent.", code="honeypot")
        return ""


class ContinueLinkForm(forms.Form):
    """'Email me a link' on the chat: nothing to fill in, the conversation is the cookie's."""


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
