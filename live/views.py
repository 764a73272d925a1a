"""GET /live/stream: Server-Sent Events saying "a conversation you may see changed"
(id, seq and stamp only; the page's own poll fetches the rows through visible_to).
The contract is /work/live-spec.md; SECURITY_CASES 34."""

import asyncio
import json
import time

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connections
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from conversations.selectors import conversation_for_visitor
from leads.visitor import VISITOR_COOKIE_NAME

from .feed import BYE, Subscriber, get_feed

RETRY_MS = 3000
OPENING = f"retry: {RETRY_MS}\n\nevent: ready\ndata: {{}}\n\n".encode()
RESYNC = b"event: resync\ndata: {}\n\n"
BYE_EVENT = b"event: bye\ndata: {}\n\n"
# An event, not a comment line: proxies see bytes either way, but only an event reaches the
# page's JavaScript, which then knows a quiet stream from a half-open connection left by a
# laptop's sleep (static/js/app.js reopens a stream that stopped pinging).
PING = b"event: ping\ndata: {}\n\n"


# Exempt so that any other method gets the specified 405 rather than a CSRF 403: the view
# changes nothing for any method.
@csrf_exempt
async def stream(request):
    if not isinstance(request, ASGIRequest):
        # runserver, gunicorn's sync workers, the test Client: a stream would hold a
        # whole worker. The page gets a non-200 and keeps polling.
        return _cors(request, _text("Live updates are served by the live process.", 503))
    if request.method != "GET":
        response = _text("Only GET opens a live stream.", 405)
        response["Allow"] = "GET"
        return _cors(request, response)
    user = await request.auser()
    if user.is_authenticated and user.is_active:
        subscriber = Subscriber(user, request.session.session_key)
    else:
        # A website visitor (issue 12): their cookie, through the one visitor rule.
        token = request.COOKIES.get(VISITOR_COOKIE_NAME)
        conversation = await sync_to_async(conversation_for_visitor)(token) if token else None
        if conversation is None:
            # EventSource gives up on a non-200: the page just polls (and its poll sends an
            # expired session to the login page).
            return _cors(request, _text("Sign in to receive live updates.", 401))
        subscriber = Subscriber(None, None, visitor_token=token, conversation_id=conversation.pk)
    # Django's ASGI handler runs each request's sync parts (the middleware, auser()) in
    # the request's own thread and context, and that context's database connection stays
    # open (CONN_MAX_AGE) until the response ends: for a stream, hours, one connection
    # per open page, and 151 pages exhaust MariaDB's default max_connections. The stream
    # needs no database after this line (the feed reads for everyone on its own
    # connection), so close it.
    await sync_to_async(connections.close_all)()
    reconnect = "HTTP_LAST_EVENT_ID" in request.META
    response = StreamingHttpResponse(_events(subscriber, reconnect), content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return _cors(request, response)


async def _events(subscriber: Subscriber, reconnect: bool):
    """The response body. Django's ASGIHandler cancels this generator when the client
    disconnects (it listens for http.disconnect beside the response), so ``finally``
    always takes the stream off the feed."""
    feed = get_feed()
    feed.subscribe(subscriber)
    heartbeat = settings.LIVE_HEARTBEAT_SECONDS
    try:
        # A reconnect may have missed events while it was away: the page polls at once.
        yield OPENING + (RESYNC if reconnect else b"")
        next_ping = time.monotonic() + heartbeat
        while True:
            try:
                await asyncio.wait_for(subscriber.wake.wait(), timeout=max(0.0, next_ping - time.monotonic()))
            except TimeoutError:
                yield PING
                next_ping += heartbeat
                continue
            resync, events, final = subscriber.take()
            chunk = b"".join([RESYNC if resync else b"", *(_conversation_event(*event) for event in events)])
            if final is not None:
                # bye: the session ended, the page closes the stream and keeps polling.
                # close: this process is stopping; the browser reconnects (to a new one).
                yield chunk + (BYE_EVENT if final == BYE else b"")
                return
            if chunk:
                yield chunk
    finally:
        feed.unsubscribe(subscriber)


def _conversation_event(event_id, row) -> bytes:
    # Only what the page needs to decide which poll to fire: no text, no names.
    data = json.dumps({"id": row.id, "seq": row.last_seq, "stamp": row.updated_at.isoformat()})
    return f"id: {event_id}\nevent: conversation\ndata: {data}\n\n".encode()


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _cors(request, response):
    """Dev and tests, where pages and the live process listen on different ports."""
    origin = request.headers.get("Origin")
    if origin and origin in settings.LIVE_ALLOWED_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
    response["Vary"] = "Origin" if "Vary" not in response else f"{response['Vary']}, Origin"
    return response
