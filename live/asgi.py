"""The live process: `gunicorn live.asgi:application -k uvicorn_worker.UvicornWorker -w 1`.

Django's ASGI application with the project's settings, middleware and URLs, but it
answers only paths under /live/ (a plain 404 for the rest: the pages stay on the sync
workers, which serve them faster; NOTES "uvicorn-worker"). It also speaks the ASGI
lifespan protocol, which Django's handler refuses.

Stopping: uvicorn waits for open responses to finish before it shuts down, and a stream
never finishes by itself, so on SIGTERM (gunicorn's graceful stop, a deploy) the streams
are ended first; browsers reconnect after the `retry` delay and poll meanwhile.
"""

import asyncio
import os
import signal
import threading

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designpi.settings")
django_application = get_asgi_application()

from .feed import close_all_streams  # noqa: E402  (needs Django set up)

PREFIX = "/live/"


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
    elif scope["type"] == "http" and scope["path"].startswith(PREFIX):
        await django_application(scope, receive, send)
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
        await send({"type": "http.response.body", "body": b"Not found: this process serves only /live/."})
    else:  # websocket: not served here
        await send({"type": "websocket.close"})


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            _end_streams_on_sigterm(asyncio.get_running_loop())
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            close_all_streams()
            await send({"type": "lifespan.shutdown.complete"})
            return


def _end_streams_on_sigterm(loop):
    """Chain onto the server's own SIGTERM handler (uvicorn installs it before the
    lifespan starts): end every stream, then let the server shut down as it would."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame):
        loop.call_soon_threadsafe(close_all_streams)
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
