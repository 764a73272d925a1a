"""The team's canned replies: a page to keep them (mounted in the staff portal, where
admins also go) and the JSON the message box's picker reads."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts.decorators import team_required
from conversations.selectors import conversation_get_for
from designpi.validators import parse_id

from .forms import CannedReplyForm
from .placeholders import PLACEHOLDERS, fill, placeholder_values
from .selectors import canned_reply_get_for, canned_reply_list_for
from .services import canned_reply_create, canned_reply_delete, canned_reply_update

LIST_TEMPLATE = "replies/reply_list.html"
EDIT_TEMPLATE = "replies/reply_edit.html"


def _reply_for(request, pk, *, changing: bool):
    """Shared or the viewer's own, else 404 (someone else's personal reply is not there);
    a shared one only admins may change (403)."""
    reply = canned_reply_get_for(request.user, pk) if parse_id(pk) else None
    if reply is None:
        raise Http404("No such reply.")
    if changing and reply.is_shared and not request.user.is_admin:
        raise PermissionDenied("Only admins change the shared replies.")
    return reply


def _list_page(request, form=None, status=200):
    replies = list(canned_reply_list_for(request.user))
    return render(request, LIST_TEMPLATE, {
        "shared": [r for r in replies if r.is_shared],
        "own": [r for r in replies if not r.is_shared],
        "form": form or CannedReplyForm(can_share=request.user.is_admin),
        "placeholders": PLACEHOLDERS,
    }, status=status)


def _apply(form, save):
    """Run ``save`` (a service call) for a valid form; its ValidationError becomes the form's."""
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return False
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
        return False
    return True


@require_safe
@team_required
def reply_list(request):
    return _list_page(request)


@require_POST
@team_required
def reply_create(request):
    form = CannedReplyForm(request.POST, can_share=request.user.is_admin)
    created = _apply(form, lambda data: canned_reply_create(
        actor=request.user, title=data["title"], body=data["body"], shared=data.get("shared", False)))
    if not created:
        return _list_page(request, form, status=400)
    return redirect("staff:reply_list")


@require_http_methods(["GET", "HEAD", "POST"])
@team_required
def reply_edit(request, pk):
    reply = _reply_for(request, pk, changing=True)
    if request.method != "POST":
        form = CannedReplyForm(initial={"title": reply.title, "body": reply.body})
        return render(request, EDIT_TEMPLATE, {"reply": reply, "form": form, "placeholders": PLACEHOLDERS})
    form = CannedReplyForm(request.POST)
    if not _apply(form, lambda data: canned_reply_update(
            actor=request.user, reply=reply, title=data["title"], body=data["body"])):
        return render(request, EDIT_TEMPLATE, {"reply": reply, "form": form, "placeholders": PLACEHOLDERS}, status=400)
    return redirect("staff:reply_list")


@require_POST
@team_required
def reply_delete(request, pk):
    canned_reply_delete(actor=request.user, reply=_reply_for(request, pk, changing=True))
    return redirect("staff:reply_list")


@require_safe
@team_required
def conversation_replies(request, pk):
    """GET: the viewer's replies with their placeholders filled for this conversation
    (its participant, the viewer as the agent), for the message box's picker. The
    conversation comes through the one access check: 404 for one the viewer cannot see."""
    conversation = conversation_get_for(request.user, pk)
    values = placeholder_values(conversation=conversation, agent=request.user)
    replies = [
        {"id": reply.pk, "title": reply.title, "text": fill(reply.body, values), "shared": reply.is_shared}
        for reply in canned_reply_list_for(request.user)
    ]
    return JsonResponse({"replies": replies})
