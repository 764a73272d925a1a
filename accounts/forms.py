from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)

from designpi.http import PageForm

from . import signin_guard
from .models import Role, User
from .services import is_time_zone_name


class TimeZoneField(forms.CharField):
    """The browser's IANA zone, filled in by static/js/app.js (data-time-zone). Optional and
    never an error: an unknown or bogus value cleans to "" and is ignored."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=None, **kwargs)
        self.widget.attrs["data-time-zone"] = ""

    def clean(self, value):
        value = (value or "").strip()[:64]
        return value if is_time_zone_name(value) else ""


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, asking for an email. Its error message is generic on purpose:
    an unknown email and a wrong password look the same."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": "That email and password do not match an active account.",
        "inactive": "That email and password do not match an active account.",
    }

    time_zone = TimeZoneField()

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Django's password change, with the old password checked the way a sign-in is:
    through authenticate(), so the same lock (axes, keyed on this account and the
    client address) and the same ceilings refuse it before anything is hashed, and a
    wrong old password counts as a failed sign-in of this account."""

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        signin_guard.succeeded(self.request)
        return old_password


class PeopleFilterForm(PageForm):
    """?role=&page= for the admin console's people list (allow-listed)."""

    role = forms.ChoiceField(label="Role", choices=[("", "Everyone"), *Role.choices], required=False)


class InviteForm(forms.ModelForm):
    """The People page's "Invite someone": the person's details and role."""

    class Meta:
        model = User
        fields = ["name", "email", "role", "company", "phone"]
        labels = {"email": "Email"}
        widgets = {"email": forms.EmailInput(attrs={"autocomplete": "off"})}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "invite_%s")  # the page's filter form has its own id_role
        super().__init__(*args, **kwargs)
        self.fields["name"].required = True
        self.fields["role"].initial = Role.STAFF

    def validate_unique(self):
        pass  # accounts.services.user_invite says "already has an account" (any spelling)


class ResetRequestForm(PasswordResetForm):
    """Django's "forgot password" form; accounts.views.PasswordResetView sends nothing
    itself (accounts.services.password_reset_request queues the email)."""

    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))


class InvitationAcceptForm(SetPasswordForm):
    """Choose a password (Django's validators) on the invitation page; with the browser's zone."""

    time_zone = TimeZoneField()
