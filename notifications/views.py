from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from designpi.http import error_response

from .forms import EmailPreferencesForm
from .services import user_set_email_preferences, user_unsubscribe
from .tokens import BadToken, read_unsubscribe_token

PREFERENCE_LABELS = {"notify_assigned": "conversation assigned to you", "notify_messages": "unread messages",
                     "notify_mentions": "mentions in internal notes"}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def preferences(request):
    """Every signed-in person: which emails they get, and the zone of the times in them."""
    user = request.user
    if request.method != "POST":
        initial = {"notify_assigned": user.notify_assigned, "notify_messages": user.notify_messages,
                   "notify_mentions": user.notify_mentions, "time_zone": user.time_zone}
        return render(request, "notifications/preferences.html", {"form": EmailPreferencesForm(initial=initial, user=user)})
    form = EmailPreferencesForm(request.POST, user=user)
    if form.is_valid():
        try:
            user_set_email_preferences(actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
    if not form.is_valid():
        return render(request, "notifications/preferences.html", {"form": form}, status=400)
    messages.success(request, "Your email settings are saved.")
    return redirect("notifications:preferences")


@csrf_exempt  # The signed token is the credential; mail providers POST without a session (RFC 8058).
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET: a page with one button (link scanners follow GET, so it changes nothing).
    POST: one click, from that button or from the mail client (List-Unsubscribe-Post)."""
    try:
        user, preference = read_unsubscribe_token(token)
    except BadToken as error:
        return error_response(request, 400, str(error))
    context = {"email": user.email, "what": PREFERENCE_LABELS[preference], "token": token}
    if request.method == "POST":
        user_unsubscribe(user=user, preference=preference)
        return render(request, "notifications/unsubscribed.html", context)
    return render(request, "notifications/unsubscribe.html", context)
