"""The live process for real (SECURITY_CASES 34): gunicorn with uvicorn's worker running
live/asgi.py against the MariaDB test database, streams opened over sockets with real
session cookies, changes made through the services in this process.

Timing: ticks of 0.3 s, heartbeats of 0.5 s, session re-checks every second; "no event"
is judged after the streams that should get one got it (one tick fans out to all) plus
a second."""

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, transaction
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import conversation_assign, conversation_post_message
from tests.personas import client_for
from tests.serving import SseStream, conversation_events, database_url, live_process, request

NEEDS_SERVER_DATABASE = (
    "needs MariaDB/MySQL: the live process must reach the test database over the network "
    "(SQLite's test database lives in this process's memory). CI runs it on MariaDB."
)
pytestmark = [pytest.mark.mariadb(reason=NEEDS_SERVER_DATABASE), pytest.mark.django_db(transaction=True)]

HEARTBEAT = 0.5
RECHECK = 1.0
ALLOWED_ORIGIN = "http://127.0.0.1:8000"
LIVE_ENV = {"LIVE_HEARTBEAT_SECONDS": str(HEARTBEAT), "LIVE_SESSION_RECHECK_SECONDS": str(RECHECK),
            "LIVE_ALLOWED_ORIGINS": ALLOWED_ORIGIN}
SECRET = "Only the thread may carry this sentence 7f3a"


@pytest.fixture
def live():
    with live_process(database_url=database_url(), env=LIVE_ENV) as address:
        yield address


def session_key(user):
    return client_for(user).cookies["sessionid"].value


def open_stream(address, user, **headers):
    stream = SseStream(address, session_key=session_key(user), headers=headers)
    assert stream.status == 200, stream.raw
    # The feed is running (it started with this stream) once `ready` arrived.
    assert stream.events(5, until=lambda event: event.get("event") == "ready")[-1] == {"event": "ready", "data": "{}"}
    return stream


def wait_for_conversation(stream, conversation_id, seq=None, *, timeout=5):
    """The conversation events up to the first for that conversation (at that seq)."""
    def wanted(event):
        if event.get("event") != "conversation":
            return False
        data = conversation_events([event])[0]
        return data["id"] == conversation_id and seq in (None, data["seq"])

    return conversation_events(stream.events(timeout, until=wanted))


def test_anonymous_and_a_bad_cookie_get_401_and_no_stream(live, world):
    for key in (None, "not-a-session"):
        with SseStream(live, session_key=key) as stream:
            assert stream.status == 401
            assert stream.headers["content-type"] == "text/plain; charset=utf-8"
    assert request(live, "POST", "/live/stream")[0] == 405
    assert request(live, "GET", "/portal/chat/")[0] == 404  # the live process serves only /live/


def test_the_stream_access_matrix_and_a_reassignment_away(live, world):
    streams = {name: open_stream(live, world[name]) for name in ("john", "jane", "sarah", "mike", "admin")}
    johns = world["johns"].pk
    try:
        message = conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=SECRET)
        for name in ("john", "sarah", "admin"):
            assert {"id": johns, "seq": message.seq} in strip(wait_for_conversation(streams[name], johns, message.seq)), name
        for name in ("jane", "mike"):
            assert conversation_events(streams[name].events(1)) == [], name

        # Reassigned away from Sarah: the reassignment itself and every change after it go
        # to Mike, never to Sarah again.
        conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
        assert wait_for_conversation(streams["mike"], johns)
        message = conversation_post_message(actor=world["john"], conversation=world["johns"], body=SECRET)
        assert {"id": johns, "seq": message.seq} in strip(wait_for_conversation(streams["mike"], johns, message.seq))
        assert {"id": johns, "seq": message.seq} in strip(wait_for_conversation(streams["admin"], johns, message.seq))
        assert conversation_events(streams["sarah"].events(1)) == []
        assert conversation_events(streams["jane"].events(0.1)) == []
    finally:
        for stream in streams.values():
            stream.close()
    for name, stream in streams.items():
        assert SECRET.encode() not in stream.raw, name
        assert b"John Doe" not in stream.raw and b"john@example.test" not in stream.raw, name


def strip(events):
    return [{"id": event["id"], "seq": event["seq"]} for event in events]


def test_an_event_carries_id_seq_and_stamp_only(live, world):
    with open_stream(live, world["john"]) as stream:
        message = conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=SECRET)
        raw_events = stream.events(5, until=lambda e: e.get("event") == "conversation")
    event = raw_events[-1]
    assert set(event) == {"id", "event", "data"} and event["id"].isdigit()
    data = conversation_events([event])[0]
    assert set(data) == {"id", "seq", "stamp"} and data["seq"] == message.seq
    stamp = Conversation.objects.get(pk=world["johns"].pk).updated_at
    assert data["stamp"] == stamp.isoformat()


def test_headers_heartbeat_and_cors(live, world):
    with open_stream(live, world["john"], Origin=ALLOWED_ORIGIN) as stream:
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.headers["cache-control"] == "no-store"
        assert stream.headers["x-accel-buffering"] == "no"
        assert stream.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert stream.headers["access-control-allow-credentials"] == "true"
        assert "Origin" in stream.headers["vary"]
        assert stream.raw.split(b"\r\n\r\n", 1)[1].find(b"retry: 3000\n\nevent: ready\ndata: {}\n\n") >= 0
        pings = [event for event in stream.events(HEARTBEAT * 3.5) if event.get("event") == "ping"]
        assert len(pings) >= 2
    with open_stream(live, world["john"], Origin="http://evil.example") as stream:
        assert "access-control-allow-origin" not in stream.headers
        assert "access-control-allow-credentials" not in stream.headers


def test_a_reconnect_with_last_event_id_gets_resync(live, world):
    with open_stream(live, world["john"]) as first:
        assert not [e for e in first.events(HEARTBEAT * 1.5) if e.get("event") == "resync"]
    stream = SseStream(live, session_key=session_key(world["john"]), headers={"Last-Event-ID": "17"})
    with stream:
        events = stream.events(3, until=lambda e: e.get("event") == "resync")
        assert [e.get("event") for e in events if "event" in e][:2] == ["ready", "resync"]


def sign_out(world, stream_key):
    Session.objects.filter(session_key=stream_key).delete()


@pytest.mark.parametrize("ending", ["sign-out", "deactivated", "expired", "password changed"])
def test_an_ended_session_closes_the_stream_with_bye(live, world, ending):
    client = client_for(world["john"])
    key = client.cookies["sessionid"].value
    stream = SseStream(live, session_key=key)
    with stream:
        assert stream.status == 200
        stream.events(3, until=lambda e: e.get("event") == "ready")
        started = time.monotonic()
        if ending == "sign-out":
            client.post("/accounts/logout/")
            assert not Session.objects.filter(session_key=key).exists()
        elif ending == "deactivated":
            world["john"].is_active = False
            world["john"].save(update_fields=["is_active"])
        elif ending == "expired":
            Session.objects.filter(session_key=key).update(expire_date=timezone.now())
        else:
            world["john"].set_password("changed-elsewhere-123")
            world["john"].save()
        events = stream.events(RECHECK * 3 + 2, until=lambda e: e.get("event") == "bye")
        assert events and events[-1] == {"event": "bye", "data": "{}"}, events
        assert time.monotonic() - started < RECHECK * 3 + 2
        stream.events(2)
        assert stream.ended  # the response ended: the connection carries nothing more


def test_a_late_commit_is_delivered_exactly_once(live, world):
    """A message stamped (updated_at) before a change the feed already delivered, but
    committed after it, still arrives, once. Proven to fail with the overlap shortened
    to a tick (LIVE_OVERLAP_SECONDS=0.3): the late row is then outside every later read."""
    stamped, commit_now = threading.Event(), threading.Event()
    result = {}

    def late_writer():
        try:
            with transaction.atomic():
                result["message"] = conversation_post_message(actor=world["john"], conversation=world["johns"],
                                                              body="late")
                stamped.set()
                assert commit_now.wait(20)
        except BaseException as error:  # reported below, never swallowed
            result["error"] = error
        finally:
            connections.close_all()

    with open_stream(live, world["admin"]) as stream:
        writer = threading.Thread(target=late_writer)
        writer.start()
        assert stamped.wait(10)
        # A later change, committed now: once the admin's stream has it, the feed has
        # read past the late message's stamp without seeing it (not yet committed).
        conversation_post_message(actor=world["jane"], conversation=world["janes"], body="on time")
        seen_first = wait_for_conversation(stream, world["janes"].pk)
        assert world["johns"].pk not in {e["id"] for e in seen_first}
        time.sleep(1.5)  # several ticks past the late stamp
        commit_now.set()
        writer.join(20)
        assert "error" not in result, result.get("error")
        late_stamp = Conversation.objects.get(pk=world["johns"].pk).updated_at
        assert late_stamp < Conversation.objects.get(pk=world["janes"].pk).updated_at  # really late
        events = conversation_events(stream.events(3))  # ten ticks: time for duplicates to show
    johns = [event for event in events if event["id"] == world["johns"].pk]
    assert johns == [{"id": world["johns"].pk, "seq": result["message"].seq, "stamp": late_stamp.isoformat()}]


def gunicorn_pids(port):
    """The live process's gunicorn master and its worker: the processes listening on port."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(fields[9])
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}").removeprefix("socket:[").rstrip("]") in inodes:
                    pids.add(int(pid))
        except OSError:
            continue
    return pids


def parent_of(pid):
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_the_live_process_killed_polling_delivers_and_a_restart_resumes(world):
    john, sarah = client_for(world["john"]), world["sarah"]
    with live_process(database_url=database_url(), env=LIVE_ENV) as address:
        stream = open_stream(address, world["john"])
        conversation_post_message(actor=sarah, conversation=world["johns"], body="before the crash")
        assert wait_for_conversation(stream, world["johns"].pk)
        pids = gunicorn_pids(address[1])
        assert len(pids) == 2, pids  # master and worker
        for pid in pids:
            os.kill(pid, signal.SIGKILL)  # no goodbye: a crash or an OOM kill
        stream.events(5)
        assert stream.ended
        stream.close()

    # The page's poll (the ordinary poll view on the pages' process) still delivers.
    message = conversation_post_message(actor=sarah, conversation=world["johns"], body="while it was down")
    poll = john.get("/portal/chat/messages/", {"after": message.seq - 1})
    assert poll.status_code == 200 and b"while it was down" in poll.content

    with live_process(database_url=database_url(), env=LIVE_ENV) as address:
        with open_stream(address, world["john"], **{"Last-Event-ID": "3"}) as stream:
            message = conversation_post_message(actor=sarah, conversation=world["johns"], body="after the restart")
            events = wait_for_conversation(stream, world["johns"].pk, message.seq)
            assert {"id": world["johns"].pk, "seq": message.seq} in strip(events)
            assert b"event: resync" in stream.raw


def test_stopping_the_live_process_ends_its_streams_at_once(world):
    """A deploy (SIGTERM) ends the streams (browsers reconnect and poll meanwhile)
    instead of holding the shutdown until gunicorn's graceful timeout kills the worker."""
    with live_process(database_url=database_url(), env=LIVE_ENV) as address:
        stream = open_stream(address, world["john"])
        pids = gunicorn_pids(address[1])
        master = next(pid for pid in pids if parent_of(pid) not in pids)
        started = time.monotonic()
        os.kill(master, signal.SIGTERM)
        stream.events(4)
        assert stream.ended and time.monotonic() - started < 4
        assert b"event: bye" not in stream.raw  # not a sign-out: the page must reconnect
        stream.close()


def database_connections_of(port):
    """TCP connections to the database held by the live process listening on ``port``
    (its sockets, matched in /proc/net/tcp): other processes' are not counted."""
    from django.db import connection

    database_port = int(connection.settings_dict["PORT"] or 3306)
    inodes = set()
    for pid in gunicorn_pids(port):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].rsplit(":", 1)[1], 16) == database_port and fields[3] == "01" and fields[9] in inodes:
                count += 1  # ESTABLISHED, to the database's port
    return count


def test_open_streams_hold_no_database_connection(live, world):
    """The live process uses one connection for its feed (and the sign-in check of a
    connecting stream) whatever the number of open streams: without closing the
    connection each request's context opened, every stream held one (151 pages would
    exhaust MariaDB's default max_connections)."""
    streams = [open_stream(live, world[name]) for name in ("john", "jane", "sarah", "mike", "admin") * 4]
    try:
        conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="hello")
        assert wait_for_conversation(streams[0], world["johns"].pk)
        assert database_connections_of(live[1]) <= 2  # the feed's, and the last sign-in check's
    finally:
        for stream in streams:
            stream.close()


def test_a_visitor_cookie_opens_a_stream_of_its_conversation_only_until_it_is_closed(live, world):
    """Issue 12 (SECURITY_CASES 36): the stream authorises a website visitor through
    for_visitor; events for that conversation only; closed, the re-check says bye."""
    from conversations.services import conversation_set_status
    from leads.visitor import VISITOR_COOKIE_NAME, visitor_pass_issue

    alices = world["alices"]
    with SseStream(live, headers={"Cookie": f"{VISITOR_COOKIE_NAME}=forged"}) as refused:
        assert refused.status == 401
    token = visitor_pass_issue(conversation=alices)
    stream = SseStream(live, headers={"Cookie": f"{VISITOR_COOKIE_NAME}={token}"})
    with stream:
        assert stream.status == 200, stream.raw
        stream.events(5, until=lambda event: event.get("event") == "ready")
        conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=SECRET)
        message = conversation_post_message(actor=world["admin"], conversation=alices, body=SECRET)
        events = wait_for_conversation(stream, alices.pk, message.seq)
        assert {event["id"] for event in events} == {alices.pk}
        conversation_set_status(actor=world["admin"], conversation=alices, status="CLOSED")
        events = stream.events(RECHECK * 3 + 2, until=lambda e: e.get("event") == "bye")
        assert events and events[-1] == {"event": "bye", "data": "{}"}, events
    assert SECRET.encode() not in stream.raw


def test_a_note_reaches_the_team_streams_and_never_the_customer(live, world):
    """Issue 14 (SECURITY_CASES 39): an internal note moves the conversation for the team,
    not for its participant: John's stream stays silent; the public reply after it reaches
    him with his own cursor (no gap where the note is)."""
    streams = {name: open_stream(live, world[name]) for name in ("john", "sarah", "admin")}
    johns = world["johns"].pk
    try:
        note = conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=SECRET,
                                         internal=True)
        for name in ("sarah", "admin"):
            events = strip(wait_for_conversation(streams[name], johns, note.seq))
            assert {"id": johns, "seq": note.seq} in events, name
        assert conversation_events(streams["john"].events(1)) == []

        reply = conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="Public reply")
        assert {"id": johns, "seq": reply.public_seq} in strip(wait_for_conversation(streams["john"], johns))
        assert reply.public_seq == reply.seq - 1
    finally:
        for stream in streams.values():
            stream.close()
    assert SECRET.encode() not in streams["john"].raw
