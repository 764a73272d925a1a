"""The app as production runs it, for fault tests: gunicorn in a subprocess, and a
small TCP proxy that can stand between it and the database and be switched off.

Only for MariaDB/MySQL test runs: the subprocess must reach the test database over
the network (SQLite's test database lives in the test process's memory). Starting
gunicorn and finding a free port are bench/server.py's, shared with the benchmark.
"""

import contextlib
import http.client
import os
import re
import selectors
import socket
import struct
import tempfile
import threading
import time
from urllib.parse import quote

from django.db import connection

from bench import server
from bench.server import free_port  # one copy, shared with the benchmark (bench/server.py)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database. Modes:

    * ``up``: forwards;
    * ``down``: every open connection is cut and new ones are refused (a stopped server);
    * ``silent``: open connections are cut, new ones are accepted and never answered
      (a host that vanished: only a connect timeout gets a worker out).
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._silent = False
        self._generation = 0
        self._pumps: list[threading.Thread] = []

    # -- switching ----------------------------------------------------------------
    def up(self):
        self._cut_all()
        self._silent = False
        self._listen()

    def down(self):
        self._close_listener()
        self._cut_all()

    def silent(self):
        self._cut_all()
        self._silent = True
        self._listen()

    # -- internals ----------------------------------------------------------------
    def _listen(self):
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _close_listener(self):
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()

    def _cut_all(self):
        """Reset every open connection, like a server process that died. Each pump
        thread resets its own pair (closing a socket under a thread that is using it
        is a race), so wait for them."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self._generation += 1
        for client, upstream in pairs:
            if upstream is None:  # a silently held connection: nobody else touches it
                _reset(client)
        deadline = time.monotonic() + 2
        while any(thread.is_alive() for thread in self._pumps) and time.monotonic() < deadline:
            time.sleep(0.01)
        self._pumps = [thread for thread in self._pumps if thread.is_alive()]

    def _accept_loop(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self._silent:
                with self._lock:
                    self._pairs.append((client, None))
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
                generation = self._generation
            thread = threading.Thread(target=self._pump, args=(client, upstream, generation), daemon=True)
            self._pumps.append(thread)
            thread.start()

    def _pump(self, a, b, generation):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while self._generation == generation:
                for key, _ in selector.select(timeout=0.05):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            _reset(a)
            _reset(b)


def _reset(sock):
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


def database_url(*, port: int | None = None) -> str:
    """A DATABASE_URL for the test database this pytest run created."""
    settings = connection.settings_dict
    return "mysql://{user}:{password}@{host}:{port}/{name}".format(
        user=quote(settings["USER"], safe=""),
        password=quote(settings["PASSWORD"], safe=""),
        host="127.0.0.1",
        port=port or settings["PORT"] or 3306,
        name=settings["NAME"],
    )


@contextlib.contextmanager
def gunicorn(*, database_url: str, workers: int = 1, threads: int = 2, env: dict | None = None):
    """Run the project under gunicorn on a free port; yields ``(host, port)``."""
    process_env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false", "LOG_LEVEL": "WARNING",
                   **(env or {})}
    options = ["--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread",
               "--timeout", "30", "--graceful-timeout", "2"]
    with tempfile.TemporaryFile(mode="w+") as log, server.gunicorn(
        "designpi.wsgi:application", options=options, env=process_env, log=log, ready=_answers_healthz,
    ) as port:
        yield (server.HOST, port)


def _answers_healthz(port: int) -> bool:
    try:
        return request((server.HOST, port), "GET", "/healthz", timeout=2)[0] in (200, 503)
    except OSError:
        return False


def request(address, method, path, *, session=None, headers=None, body=None, timeout=15):
    """One HTTP request on a fresh connection; returns (status, headers dict, body bytes, seconds)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(*address, timeout=timeout)
    try:
        all_headers = {"Connection": "close", **(headers or {})}
        if session:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in session.items())
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data, time.monotonic() - started
    finally:
        conn.close()


def csrf_from(page: bytes) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


# --- the live process (issue 10) ---------------------------------------------------

@contextlib.contextmanager
def live_process(*, database_url: str, env: dict | None = None):
    """Run the live process (live/asgi.py under gunicorn's uvicorn worker, one worker,
    as the README deploys it) on a free port; yields ``(host, port)``."""
    process_env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "false", "LOG_LEVEL": "WARNING",
                   **(env or {})}
    options = ["-k", "uvicorn_worker.UvicornWorker", "-w", "1", "--graceful-timeout", "5"]
    with tempfile.TemporaryFile(mode="w+") as log, server.gunicorn(
        "live.asgi:application", options=options, env=process_env, log=log, ready=_answers_stream,
    ) as port:
        yield (server.HOST, port)


def _answers_stream(port: int) -> bool:
    # 401: Django, its settings and the database session are up (no cookie, no stream).
    try:
        return request((server.HOST, port), "GET", "/live/stream", timeout=2)[0] == 401
    except OSError:
        return False


class SseStream:
    """A Server-Sent Events client over a raw socket, for tests: ``open`` sends the
    request (with a session cookie), ``events(timeout)`` returns the events received
    within that time. Everything received is kept in ``raw`` (for "this text never
    appears on the stream"). Handles chunked transfer itself, so a read that times out
    in the middle of a chunk loses nothing."""

    def __init__(self, address, *, session_key: str | None = None, headers: dict | None = None):
        self.address = address
        self.sock = socket.create_connection(address, timeout=10)
        lines = ["GET /live/stream HTTP/1.1", f"Host: {address[0]}:{address[1]}", "Accept: text/event-stream"]
        if session_key:
            lines.append(f"Cookie: sessionid={session_key}")
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._buffer = b""  # undecoded bytes from the socket
        self._body = b""  # de-chunked body not yet parsed into events
        self.raw = b""
        self.ended = False
        self.status, self.headers = self._read_head()

    def _recv(self, deadline) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.ended:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, socket.timeout):
            return False
        except OSError:
            data = b""
        if not data:
            self.ended = True
            return False
        self._buffer += data
        self.raw += data
        return True

    def _read_head(self):
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in self._buffer:
            if not self._recv(deadline):
                raise AssertionError(f"no response head from the live process: {self._buffer!r}")
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split()[1]), headers

    def _dechunk(self):
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            self._body += self._buffer
            self._buffer = b""
            return
        while b"\r\n" in self._buffer:
            size_line, rest = self._buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self.ended = True
                self._buffer = b""
                return
            if len(rest) < size + 2:
                return
            self._body += rest[:size]
            self._buffer = rest[size + 2:]

    def events(self, timeout: float, *, until=None) -> list[dict]:
        """Events (dicts: ``event``, ``data``, ``id``; a comment is ``{"comment": …}``)
        received within ``timeout`` seconds; stops early once one satisfies ``until``."""
        deadline = time.monotonic() + timeout
        found = []
        while True:
            self._dechunk()
            while b"\n\n" in self._body:
                block, self._body = self._body.split(b"\n\n", 1)
                event = {}
                for line in block.decode().split("\n"):
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    event["comment" if name == "" else name] = value
                found.append(event)
                if until is not None and until(event):
                    return found
            if self.ended or not self._recv(deadline):
                self._dechunk()
                if self.ended and b"\n\n" in self._body:
                    continue
                return found

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def conversation_events(events) -> list[dict]:
    """The `conversation` events among ``events``, their data parsed."""
    import json

    return [json.loads(event["data"]) for event in events if event.get("event") == "conversation"]
