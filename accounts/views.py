from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode, urlsafe_base64_decode
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from designpi.client_ip import client_ip_address
from designpi.http import bad_request, error_response

from . import signin_guard
from .decorators import admin_required
from .forms import (
    EmailAuthenticationForm,
    GuardedPasswordChangeForm,
    InvitationAcceptForm,
    InviteForm,
    PeopleFilterForm,
    ResetRequestForm,
)
from .models import Role, User
from .selectors import user_list_for
from .services import (
    password_reset_request,
    user_deactivate,
    user_invitation_accept,
    user_invitation_resend,
    user_invite,
    user_reactivate,
    user_remember_time_zone,
)
from .tokens import invitation_tokens

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

    def form_valid(self, form):
        response = super().form_valid(form)
        # Issue 15: the browser's zone, the first time we learn it.
        user_remember_time_zone(user=form.get_user(), time_zone=form.cleaned_data["time_zone"])
        return response


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


class PasswordResetView(auth_views.PasswordResetView):
    """"Forgot your password?": the same answer whether or not the address has an account
    (or an active one); the email is queued, never sent from here
    (accounts.services.password_reset_request, accounts.tasks.send_account_email)."""

    http_method_names = ["get", "head", "post"]  # FormView would treat PUT as POST
    template_name = "accounts/password_reset.html"
    form_class = ResetRequestForm
    success_url = reverse_lazy("accounts:password_reset_sent")

    def post(self, request, *args, **kwargs):
        if signin_guard.client_address_unknown(request):
            return error_response(request, 503, signin_guard.UNKNOWN_ADDRESS_MESSAGE)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        network = signin_guard.client_network(client_ip_address(self.request))
        password_reset_request(email=email, network=network, users=list(form.get_users(email)))
        return HttpResponseRedirect(self.get_success_url())

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PasswordResetSentView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's: the token moves from the URL into the session before the form shows, the
    new password is checked by the validators, and nobody is signed in by it: signing in
    afterwards goes through the sign-in page and its lock (accounts/signin_guard.py).
    A bad, used or expired link answers 400 with a page that says so."""

    http_method_names = ["get", "head", "post"]
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def render_to_response(self, context, **kwargs):
        if not context.get("validlink") or self.request.method == "POST":
            kwargs.setdefault("status", 400)
        return super().render_to_response(context, **kwargs)


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _invited_user(uidb64, token):
    """The account an invitation link is for, or None: unknown id, someone who already
    accepted or was deactivated, a token for someone else, a reset token, or expired."""
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None or not user.invitation_pending or not invitation_tokens.check_token(user, token):
        return None
    return user


@require_http_methods(["GET", "POST"])
def invitation_accept(request, uidb64, token):
    """The invitation's link: choose a password, then the person is signed in."""
    user = _invited_user(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = InvitationAcceptForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = user_invitation_accept(user=user, password=form.cleaned_data["new_password1"],
                                              time_zone=form.cleaned_data["time_zone"])
            except ValidationError:  # the other tab was quicker
                return render(request, "accounts/invitation_invalid.html", status=400)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Your password is set.")
            return redirect(home_url_for(user))
        return render(request, "accounts/invitation_accept.html", {"form": form, "invited": user}, status=400)
    return render(request, "accounts/invitation_accept.html", {"form": form, "invited": user})


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
    return _people_page(request, form, InviteForm())


def _people_page(request, form, invite_form, status=200):
    role = form.cleaned_data["role"]
    page = Paginator(user_list_for(request.user, role=role or None), PEOPLE_PAGE_SIZE).get_page(form.cleaned_data["page"])
    return render(request, "accounts/people_list.html", {
        "form": form,
        "invite_form": invite_form,
        "page": page,
        "filter_query": urlencode({"role": role} if role else {}),
    }, status=status)


@require_POST
@admin_required
def people_invite(request):
    """Invite someone: on an error the People page again, the form showing why (400)."""
    invite_form = InviteForm(request.POST)
    if invite_form.is_valid():
        try:
            user = user_invite(actor=request.user, **invite_form.cleaned_data)
        except ValidationError as error:
            invite_form.add_error(None, error)
        else:
            messages.success(request, f"Invitation sent to {user.email}.")
            return redirect("console:people_list")
    filters = PeopleFilterForm({})
    filters.is_valid()
    return _people_page(request, filters, invite_form, status=400)


def _person_action(request, pk, service, done):
    person = get_object_or_404(User, pk=pk)
    try:
        service(actor=request.user, user=person)
    except ValidationError as error:
        return error_response(request, 400, " ".join(error.messages))
    messages.success(request, done.format(person=person.display_name))
    return redirect("console:people_list")


@require_POST
@admin_required
def people_deactivate(request, pk):
    return _person_action(request, pk, user_deactivate, "{person} is deactivated and signed out everywhere.")


@require_POST
@admin_required
def people_reactivate(request, pk):
    return _person_action(request, pk, user_reactivate, "{person} can sign in again.")


@require_POST
@admin_required
def people_invitation_resend(request, pk):
    return _person_action(request, pk, user_invitation_resend, "A new invitation is on its way to {person}.")
