from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from designpi.http import bad_request, error_response

from . import signin_guard
from .decorators import admin_required
from .forms import EmailAuthenticationForm, GuardedPasswordChangeForm, PeopleFilterForm
from .models import Role
from .selectors import user_list_for

PEOPLE_PAGE_SIZE = 50


def home_url_for(user) -> str:
    """Where each role lands after signing in (SPEC §2)."""
    return {
        Role.ADMIN: reverse("console:home"),
        Role.STAFF: reverse("staff:conversation_list"),
        Role.CUSTOMER: reverse("portal:chat"),
    }.get(user.role, reverse("accounts:login"))


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if signin_guard.client_address_unknown(request):
            return error_response(request, 503, signin_guard.UNKNOWN_ADDRESS_MESSAGE)
        return super().post(request, *args, **kwargs)

    def get_default_redirect_url(self):
        return home_url_for(self.request.user)


class LogoutView(auth_views.LogoutView):
    # POST only (Django 5): a link or image cannot sign anyone out.
    next_page = reverse_lazy("accounts:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """A wrong old password counts toward the sign-in lock; a locked account gets the
    lock answer (accounts.forms.GuardedPasswordChangeForm, axes' middleware)."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:password_change_done")
    form_class = GuardedPasswordChangeForm

    def post(self, request, *args, **kwargs):
        if signin_guard.client_address_unknown(request):
            return error_response(request, 503, signin_guard.UNKNOWN_ADDRESS_MESSAGE)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "accounts/password_change_done.html"


@require_safe
@login_required
def home(request):
    return redirect(home_url_for(request.user))


@require_safe
@admin_required
def people_list(request):
    """The admin console's people: the team and the customers, filter by role."""
    form = PeopleFilterForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    role = form.cleaned_data["role"]
    page = Paginator(user_list_for(request.user, role=role or None), PEOPLE_PAGE_SIZE).get_page(form.cleaned_data["page"])
    return render(request, "accounts/people_list.html", {
        "form": form,
        "page": page,
        "filter_query": urlencode({"role": role} if role else {}),
    })
