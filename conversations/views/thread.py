"""The message thread every portal shows: its page context, its poll and its send.

The customer chat (views/customer.py) and the team portals (views/team.py) call these
with a conversation they have already fetched through their own access check, and
with the URLs of their own portal.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from designpi.http import bad_request, error_response, invalid_change, is_cross_site

from ..forms import MessageForm, PollForm
from ..models import Conversation
from ..selectors import THREAD_PAGE_SIZE, message_last_cursor, message_list_for
from ..services import RateLimited, conversation_mark_read, conversation_post_message

# The event the send form's 204 answer raises (HX-Trigger) so the poller fetches at once.
MESSAGES_CHANGED_EVENT = "messages-changed"
THREAD_TEMPLATE = "conversations/thread.html"


def recent_messages(conversation, *, for_team: bool):
    """The newest THREAD_PAGE_SIZE messages the reader may see, oldest first (one query):
    with internal notes for the team, without for anyone else."""
    if conversation is None:
        return []
    last = message_last_cursor(conversation, for_team=for_team)
    return message_list_for(conversation, for_team=for_team, after=max(last - THREAD_PAGE_SIZE, 0))


# Set on the request by the contact chat's views (views/visitor.py), and only there: the
# thread is then the website visitor's, whoever else the session says is signed in.
VISITOR_FLAG = "thread_for_visitor"


def reader_of(request):
    """Who reads and writes in a thread view: the signed-in user, or None for a website
    visitor (the contact chat's views, which fetched the conversation through
    Conversation.objects.for_visitor and say so with VISITOR_FLAG). A signed-in admin
    with a visitor cookie on /contact/ is the visitor there, never the admin."""
    if getattr(request, VISITOR_FLAG, False):
        return None
    if not request.user.is_authenticated:
        raise PermissionDenied("Sign in to use this conversation.")
    return request.user


def viewer_is_team(request) -> bool:
    reader = reader_of(request)
    return reader is not None and reader.is_team


def mark_shown_read(request, *, conversation, messages) -> None:
    """Mark read only what this response shows, and only if any of it is unread for the
    reader (an idle or already-read poll writes nothing).

    A GET that another site caused (a link, a frame) changes nothing: the browser's
    Sec-Fetch-Site says so, and the read marks wait for the person's own visit.
    """
    reader = reader_of(request)
    other_side = viewer_is_team(request)  # the team reads the participant's messages, a participant the team's
    if not any(m.read_at is None and m.from_participant == other_side for m in messages):
        return
    if is_cross_site(request):
        return
    conversation_mark_read(reader=reader, conversation=conversation, up_to_seq=messages[-1].seq)


def thread_context(request, conversation, *, messages, urls, form=None) -> dict:
    return {
        "conversation": conversation,
        "thread_messages": messages,  # not "messages": that is Django's flash messages
        # The reader's cursor (message_list_for: seq for the team, public_seq for the participant).
        "cursor": messages[-1].cursor if messages else 0,
        # The oldest cursor shown, while there are older ones: "Show earlier messages" asks
        # for the page before it (cursors are gap-free from 1, so > 1 means there are more).
        "earlier_cursor": messages[0].cursor if messages and messages[0].cursor > 1 else None,
        "viewer_is_team": viewer_is_team(request),
        "viewer_is_visitor": reader_of(request) is None,
        "form": form or MessageForm(),
        "urls": urls,
        "messages_changed_event": MESSAGES_CHANGED_EVENT,
    }


def thread_poll(request, conversation, *, urls):
    """GET .../messages/?after=<seq>: the new rows (at most THREAD_PAGE_SIZE) plus the
    poller holding the new cursor (out of band); 204 when there is nothing new.
    With ?before=<seq> instead: the page of earlier messages (thread_earlier).

    ``conversation`` was fetched through the same access check as the page (None: the
    customer has none yet); its last cursor (last_seq for the team, last_public_seq for
    the participant, which a note never moves) says whether anything is new, so an idle
    poll costs no further query. A thread far ahead of the cursor comes a page per poll: the
    out-of-band cursor carries the rest to the next one, so no request loads it all.
    ``urls`` is a function: an idle poll does not need them, so it does not build them.
    """
    form = PollForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    if form.cleaned_data["before"] is not None:
        return thread_earlier(request, conversation, before=form.cleaned_data["before"], urls=urls)
    after = form.cleaned_data["after"]
    for_team = viewer_is_team(request)
    if conversation is None or message_last_cursor(conversation, for_team=for_team) <= after:
        return HttpResponse(status=204)
    messages = message_list_for(conversation, for_team=for_team, after=after)
    if not messages:  # the cursor is ahead of a message still committing: nothing to show yet
        return HttpResponse(status=204)
    mark_shown_read(request, conversation=conversation, messages=messages)
    context = thread_context(request, conversation, messages=messages, urls=urls())
    context["oob"] = True
    return render(request, f"{THREAD_TEMPLATE}#poll_response", context)


def thread_earlier(request, conversation, *, before: int, urls):
    """GET .../messages/?before=<seq>: the THREAD_PAGE_SIZE messages before the oldest
    one the page shows, oldest first, headed by the control for the page before those
    (none once the first message is in). The page swaps it in place of the control that
    asked, so pages arrive in order, each once, at any length (one indexed query).

    Nothing is marked read: the page's own read already covered every message up to
    the newest it showed, and these are older. ``conversation`` None (a customer
    without one yet) has nothing earlier: an empty answer that removes the control.
    """
    messages = (message_list_for(conversation, for_team=viewer_is_team(request), before=before)
                if conversation is not None else [])
    context = thread_context(request, conversation, messages=messages, urls=urls())
    return render(request, f"{THREAD_TEMPLATE}#earlier_response", context)


def thread_send(request, conversation, *, urls, render_page):
    """POST a message. htmx: 204 + HX-Trigger (only the poller appends, so a reply and a
    poll never both insert the row). Without htmx: redirect back to the page.
    A bad body answers 400 with the reason (htmx: plain text that app.js shows beside
    the box, which keeps what was typed; without htmx: the page with the form's error).
    ``internal`` (the team's "Internal note" switch) posts a note; the service refuses
    it from anyone else (403 with the reason), and refuses a note mentioning someone
    who cannot see the conversation (400 naming them)."""
    form = MessageForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            conversation_post_message(
                actor=reader_of(request),
                conversation=conversation,
                body=form.cleaned_data["body"],
                client_token=str(form.cleaned_data["client_token"]),
                internal=form.cleaned_data["internal"],
            )
        except Conversation.DoesNotExist:
            raise Http404("No such conversation.") from None
        except ValidationError as error:
            form.add_error("body", error)
        except PermissionDenied as error:
            # Only a crafted request gets here (the switch is the team's): the reason,
            # as text for htmx, else the error page; nothing was stored.
            if not request.htmx:
                return error_response(request, 403, str(error))
            response = invalid_change(str(error))
            response.status_code = 403
            return response
        except RateLimited as error:
            form.add_error("body", str(error))
            status = 429
    if not form.is_valid():
        response = invalid_change(form) if request.htmx else render_page(form, status=400)
        response.status_code = status
        if status == 429:
            response["Retry-After"] = "60"
        return response
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Trigger"] = MESSAGES_CHANGED_EVENT
        return response
    return redirect(urls["page"])
