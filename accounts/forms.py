from django import forms
from django.contrib.auth.forms import AuthenticationForm

from designpi.http import PageForm

from .models import Role


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

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class PeopleFilterForm(PageForm):
    """?role=&page= for the admin console's people list (allow-listed)."""

    role = forms.ChoiceField(label="Role", choices=[("", "Everyone"), *Role.choices], required=False)
