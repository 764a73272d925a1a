"""`python -m bench --live` (issue 10): the options, the SSE client and the tables.

The measurements themselves take minutes and a browser; these tests check what can
break without running them: the options are there, the raw SSE client parses what the
spec says the live process sends (against a small fake server, chunked as uvicorn
sends it), and the tables keep their columns.
"""

import asyncio
import os
import subprocess
import sys
import threading
import time

import pytest

from bench import server
from bench.sse import Fleet

LIVE_OPTIONS = ("--live", "--live-parts", "--live-messages", "--streams", "--idle-seconds")


def test_python_m_bench_help_lists_the_live_options():
    result = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=server.ROOT,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    for option in LIVE_OPTIONS:
        assert option in result.stdout


def chunk(text):
    data = text.encode()
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class FakeLiveProcess:
    """Answers /live/stream like the spec: 401 without the right cookie; else 200,
    chunked, retry + ready, then whatever the test pushes."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.writers = []
        self.port = server.free_port()
        started = threading.Event()

        async def serve():
            self.server = await asyncio.start_server(self.handle, server.HOST, self.port)
            started.set()

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self.loop)
        started.wait(5)

    async def handle(self, reader, writer):
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        if "Cookie: sessionid=good" not in head:
            writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        writer.write(chunk("retry: 3000\n\n") + chunk("event: ready\ndata: {}\n\n"))
        self.writers.append(writer)

    def push(self, text):
        async def send():
            for writer in self.writers:
                # split across chunks on purpose: an event may span two reads
                half = len(text) // 2
                writer.write(chunk(text[:half]))
                await writer.drain()
                writer.write(chunk(text[half:]))
                await writer.drain()
        asyncio.run_coroutine_threadsafe(send(), self.loop).result(5)

    def stop(self):
        async def close():
            for writer in self.writers:
                writer.close()
            self.server.close()
        asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_the_sse_client_holds_streams_and_parses_events_pings_and_refusals():
    fake = FakeLiveProcess()
    fleet = Fleet(server.HOST, fake.port)
    try:
        held = fleet.open_streams([("customer", 1, "sessionid=good"), ("staff", 2, "sessionid=good"),
                                   ("customer", 3, "sessionid=bad")])
        assert [s.user_id for s in held] == [1, 2]
        refused = fleet.streams[2]
        assert refused.status == 401 and refused.ready_at is None and refused.error == "HTTP 401"

        fake.push(": ping\n\n")
        fake.push('id: 7\nevent: conversation\ndata: {"id": 12, "seq": 4, "stamp": "2026-11-26T08:00:00+00:00"}\n\n')
        for _ in range(100):
            if all(len(s.events) == 2 for s in held):
                break
            threading.Event().wait(0.02)
        for stream in held:
            assert stream.pings == 1
            assert [e[1] for e in stream.events] == ["ready", "conversation"]
            assert stream.events[1][2] == {"id": 12, "seq": 4, "stamp": "2026-11-26T08:00:00+00:00"}
            assert stream.events[1][3] == "7"
    finally:
        fleet.stop()
        fake.stop()


def test_the_live_tables_keep_their_columns():
    from bench.live import render_live_tables

    def directions(p50, p95):
        s = {"n": 30, "p50_ms": p50, "p95_ms": p95, "max_ms": p95 + 10}
        return {"customer→staff": s, "staff→customer": s}

    results = {
        "settings": {"LIVE_SAFETY_POLL_SECONDS": 120},
        "latency": {"stream": {"load": "1.00/1.00/1.00 → 1.00/1.00/1.00", "directions": directions(250.0, 400.0)},
                    "polling": {"load": "1.00/1.00/1.00 → 1.00/1.00/1.00", "directions": directions(2500.0, 4800.0)}},
        "people": {"streams": 2000, "held": 2000},
        "background_questions_per_s": 0.2,
        "idle": {
            "streams": {"pages": 2000, "seconds": 60.0, "live_cpu": 3.0, "pages_cpu": 0.0, "live_queries": 300,
                        "pages_queries": 0, "questions": 350, "load": "x"},
            "polling": {"pages": 2000, "seconds": 60.0, "live_cpu": None, "pages_cpu": 60.0, "live_queries": None,
                        "pages_queries": 72000, "questions": 80000, "load": "x"},
        },
        "fanout": {"streams": 2000, "may_see": 52, "got": 52, "first_ms": 100.0, "p50_ms": 200.0,
                   "last_ms": 300.0, "strays": 0},
    }
    table = render_live_tables(results).splitlines()

    assert table[2] == "| mode | direction | messages | p50 ms | p95 ms | max ms | load (1/5/15 min) |"
    assert table[4] == "| live stream | customer→staff | 30 | 250 | 400 | 410 | 1.00/1.00/1.00 → 1.00/1.00/1.00 |"
    assert table[7].startswith("| polling only (reference) | staff→customer | 30 | 2,500 | 4,800 |")
    assert ("| streams open, nothing happening | 2,000 | 60.0 | 3.00 | 0.00 | 3.00 | 1/20 | 300 | 0 | 300 | 1/240 "
            "| 350 | x |") in table
    assert ("| polling every 5 s (no live process) | 2,000 | 60.0 | – | 60.00 | 60.00 | 1.00 | – | 72,000 | 72,000 "
            "| 1.00 | 80000 | x |") in table
    assert table[-1] == "| 2,000 | 52 | 52 | 100.0 | 200.0 | 300.0 | 0 |"


@pytest.mark.mariadb(reason="the live process is a subprocess: it must reach the test database over the network")
@pytest.mark.django_db(transaction=True)
def test_the_benchmark_client_sees_one_message_fan_out_to_exactly_who_may_see_it(
        admin_user, sarah, mike, john, jane, johns_conversation, janes_conversation):
    """The benchmark's own launcher and client against a real live process: a small
    fan-out (the benchmark's --live fanout, with five streams instead of 2,000)."""
    from bench.live import live_gunicorn
    from bench.scenario import session_cookie
    from conversations.services import conversation_assign, conversation_post_message
    from tests.serving import database_url

    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    port = server.free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "false", "LOG_LEVEL": "ERROR"}
    with live_gunicorn(env, port):
        fleet = Fleet(server.HOST, port)
        try:
            people = [(label, user.pk, session_cookie(user)) for label, user in (
                ("customer", john), ("customer", jane), ("staff", sarah), ("staff", mike), ("admin", admin_user))]
            held = fleet.open_streams(people, timeout=30)
            assert len(held) == 5, [(s.status, s.error) for s in fleet.streams]
            conversation_post_message(actor=john, conversation=johns_conversation, body="Fan-out test")
            may_see = {john.pk, sarah.pk, admin_user.pk}

            def got(stream):
                return [e for e in stream.events if e[1] == "conversation" and e[2]["id"] == johns_conversation.pk]

            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and not all(got(s) for s in held if s.user_id in may_see):
                time.sleep(0.05)
            time.sleep(1)  # a few more ticks for strays
            assert {s.user_id for s in held if got(s)} == may_see
        finally:
            fleet.stop()
