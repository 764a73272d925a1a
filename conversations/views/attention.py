"""What waits for the signed-in person, for the browser tab (issue 15): the title's
count, the favicon's dot and desktop notifications (static/js/app.js asks for it on
load, when the live stream or a poll says something changed, and now and then while
the tab is in the background, when its pollers rest).

It carries ids, counts and links only: never a message's text or a participant's name,
so a notification cannot show what the person may not see on the page itself."""

from django.http import JsonResponse

from ..selectors import ATTENTION_LIMIT, attention_for


def attention_response(request, *, url_for):
    """JSON {"count", "more", "waiting": [{"id", "url"}]}; ``url_for(id)`` is the
    conversation's page in the caller's portal. One query after the session's two."""
    count, ids = attention_for(request.user)
    response = JsonResponse({
        "count": count,
        "more": request.user.is_team and count > ATTENTION_LIMIT,
        "waiting": [{"id": pk, "url": url_for(pk)} for pk in ids],
    })
    response["Cache-Control"] = "no-store"
    return response
