"""The live process's change feed: one asyncio task per process that asks the database
what changed and tells each open stream about the rows its person may see.

Cost: one indexed query per tick whatever the number of streams, and one bulk session
re-check (two queries) per LIVE_SESSION_RECHECK_SECONDS for all streams together, so
2,000 open pages cost what 2 do. Fan-out is in memory, through an index of streams by
user id plus the set of admins' streams: a changed row reaches only the streams of its
assignee, its customer and the admins, each then judged with
conversation_row_visible_to on the row just read (so a reassignment away stops events
at the very next change).

Why an overlap window: a transaction stamps ``updated_at`` when it writes but becomes
visible when it commits, and commit order is not stamp order (NOTES: auto-increment
ids). A tick that reads only "since the last tick" would skip a row that commits late
with an older stamp. So every tick re-reads the last LIVE_OVERLAP_SECONDS and
ChangeWindow drops what was already delivered, keyed on (id, updated_at).

Lifetime: the task starts with the first stream and stops LINGER_SECONDS after the last
one left: an idle live process makes no queries at all, and a page navigation (the old
page's stream closes, the new one opens a moment later) keeps the window's memory
instead of starting cold.
"""

import asyncio
import contextvars
import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from importlib import import_module
from itertools import count

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts.models import Role
from conversations.models import (
    Conversation,
    conversation_row_open_to_visitor,
    conversation_row_visible_to,
    participant_stamp,
)
from conversations.selectors import visitor_tokens_still_open

logger = logging.getLogger("designpi.live")

FIELDS = ("id", "updated_at", "last_seq", "status", "assigned_to_id", "customer_id",
          "last_public_seq", "last_note_at", "public_updated_at")
# Most rows one tick reads. More changes than this inside the overlap window means the
# window may be incomplete: every stream then gets `resync` (its page polls at once).
ROW_LIMIT = 2000
LINGER_SECONDS = 5.0
# After a failed tick, wait tick x 2^n (at most this long) before trying again.
MAX_BACKOFF_SECONDS = 5.0
# Undelivered events a stream may hold; a stream too slow to take them gets `resync`.
QUEUE_LIMIT = 500
SESSION_CHUNK = 500  # keys per IN (...) in the bulk session re-check


@dataclass(frozen=True)
class ChangedRow:
    id: int
    updated_at: datetime
    last_seq: int
    status: str
    assigned_to_id: int | None
    customer_id: int | None
    # What the participant may know (issue 14, internal notes): their cursor, and the
    # stamp of the newest change that was not a note (Conversation.participant_updated_at).
    last_public_seq: int | None = None
    last_note_at: datetime | None = None
    public_updated_at: datetime | None = None

    @property
    def participant_updated_at(self) -> datetime | None:
        return participant_stamp(self.updated_at, self.last_note_at, self.public_updated_at)

    def for_participant(self) -> "ChangedRow":
        """The row as the participant's stream tells it: their cursor and their stamp."""
        return replace(self, updated_at=self.participant_updated_at,
                       last_seq=self.last_seq if self.last_public_seq is None else self.last_public_seq)


class ChangeWindow:
    """What the overlapping reads already delivered, so each change goes out once.

    ``fresh(rows, since)``: the rows of a read starting at ``since`` not seen before.
    A key is forgotten once its stamp falls before ``since``: later reads start later,
    so it cannot come back (bounded memory: one key per change in the window)."""

    def __init__(self):
        self._seen: dict[tuple[int, datetime], datetime] = {}

    def fresh(self, rows, since: datetime) -> list[ChangedRow]:
        new = []
        for row in rows:
            if row.updated_at is None or row.updated_at < since:
                continue  # (participant rows only) a change older than the window: told before
            key = (row.id, row.updated_at)
            if key not in self._seen:
                self._seen[key] = row.updated_at
                new.append(row)
        for key in [key for key, stamp in self._seen.items() if stamp < since]:
            del self._seen[key]
        return new

    def __len__(self):
        return len(self._seen)


class Subscriber:
    """One open stream: its person, its session, and what the feed has for it.

    The feed never blocks on a stream: it appends and wakes it. A stream too slow to
    take QUEUE_LIMIT events gets `resync` instead (its page polls everything at once);
    the end of a stream (``final``: BYE or CLOSE) is a flag, so it is never dropped."""

    def __init__(self, user, session_key: str | None, *, visitor_token: str | None = None,
                 conversation_id: int | None = None):
        # A website visitor's stream (issue 12) has no user: its cookie token opened
        # ``conversation_id`` through Conversation.objects.for_visitor.
        self.user = user
        self.session_key = session_key
        self.visitor_token = visitor_token
        self.conversation_id = conversation_id
        self.pending: list[tuple[int, ChangedRow]] = []
        self.resync = False
        self.final: str | None = None
        self.wake = asyncio.Event()

    def deliver(self, event_id: int, row: ChangedRow):
        if len(self.pending) >= QUEUE_LIMIT:
            self.pending.clear()
            self.resync = True
        else:
            self.pending.append((event_id, row))
        self.wake.set()

    def ask_resync(self):
        self.pending.clear()
        self.resync = True
        self.wake.set()

    def end(self, final: str):
        self.final = final
        self.wake.set()

    def take(self):
        """(resync?, events, final) since the last take."""
        self.wake.clear()
        taken = (self.resync, self.pending, self.final)
        self.resync, self.pending = False, []
        return taken


# How a stream ends: the session ended (the page stops the stream), or the process stops.
BYE, CLOSE = "bye", "close"


def read_changes(since: datetime, limit: int = ROW_LIMIT) -> list[ChangedRow]:
    """The conversations stamped at or after ``since``, newest first, values only
    (index conv_recent: -updated_at, -id)."""
    _before_query()
    try:
        rows = (Conversation.objects.filter(updated_at__gte=since).order_by("-updated_at", "-id")
                .values_list(*FIELDS)[:limit])
        return [ChangedRow(*values) for values in rows]
    except Exception:
        _after_failure()
        raise


def _before_query():
    # Drop a connection that broke or aged out (CONN_MAX_AGE), as a request would. Never
    # inside a transaction: only a test calls these inside one, and closing would end it.
    if not connection.in_atomic_block:
        close_old_connections()


def _after_failure():
    # Start the next attempt on a fresh connection (the database may have restarted).
    if not connection.in_atomic_block:
        connection.close()


def ended_sessions(subscribers) -> set:
    """The subscribers whose session is gone or expired, whose user is no longer the
    session's (sign-out, another sign-in, a password change) or inactive, or whose role
    changed. Two queries for all of them on the database session engine; visitors' streams
    (issue 12) whose cookie no longer opens their conversation (for_visitor: key rotated
    when it was closed, converted, source changed) end too, in one more query."""
    visitors = [sub for sub in subscribers if sub.user is None]
    subscribers = [sub for sub in subscribers if sub.user is not None]
    _before_query()
    try:
        data = _session_data({sub.session_key for sub in subscribers if sub.session_key}) if subscribers else {}
        users = get_user_model().objects.in_bulk({sub.user.pk for sub in subscribers}) if subscribers else {}
        still_open = visitor_tokens_still_open([sub.visitor_token for sub in visitors]) if visitors else set()
    except Exception:
        _after_failure()
        raise
    ended = {sub for sub in visitors if sub.visitor_token not in still_open}
    for sub in subscribers:
        session = data.get(sub.session_key)
        user = users.get(sub.user.pk)
        if not (session and user and _session_is_users(session, user) and user.is_active
                and user.role == sub.user.role):
            ended.add(sub)
    return ended


def _session_data(keys) -> dict[str, dict]:
    engine = import_module(settings.SESSION_ENGINE)
    store_class = engine.SessionStore
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        model = store_class.get_model_class()
        decoder = store_class()
        keys = list(keys)
        found = {}
        for start in range(0, len(keys), SESSION_CHUNK):
            rows = model.objects.filter(session_key__in=keys[start:start + SESSION_CHUNK],
                                        expire_date__gt=timezone.now()).values_list("session_key", "session_data")
            found.update((key, decoder.decode(encoded)) for key, encoded in rows)
        return found
    # Other engines have no bulk read: one load per stream (load() gives {} when gone).
    return {key: store_class(session_key=key).load() for key in keys}


def _session_is_users(session: dict, user) -> bool:
    """django.contrib.auth.get_user's checks, without its side effects."""
    if str(session.get(SESSION_KEY)) != str(user.pk):
        return False
    if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    stored = session.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    return any(constant_time_compare(stored, candidate) for candidate in hashes)


class Feed:
    def __init__(self, *, tick: float, overlap: float, recheck: float):
        self.tick, self.overlap, self.recheck = tick, overlap, recheck
        self.window = ChangeWindow()
        # The participants' own memory, keyed on their stamp: a note moves updated_at but
        # not their stamp, so it is never fresh for them (issue 14).
        self.participant_window = ChangeWindow()
        self._by_user: dict[int, set[Subscriber]] = defaultdict(set)
        self._admins: set[Subscriber] = set()
        self._by_conversation: dict[int, set[Subscriber]] = defaultdict(set)  # visitors' streams
        self._all: set[Subscriber] = set()
        self._task: asyncio.Task | None = None
        self._event_ids = count(1)
        self._last_left = time.monotonic()
        # One thread, so the feed holds one database connection, and its queries never
        # queue behind requests in asgiref's shared thread-sensitive executor.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-feed")

    # -- streams --------------------------------------------------------------------
    def subscribe(self, sub: Subscriber):
        """Add an open stream; starts the loop if it is not running."""
        self.add(sub)
        if self._task is None or self._task.done():
            # Stamped now, before the stream's `ready` goes out: every change after that
            # is delivered, even one the first read already sees.
            # In a context of its own: started from the first stream's request, the task
            # would otherwise share that request's context-local database connections
            # (Django keeps them per context under ASGI) and the request closes its own.
            self._task = asyncio.get_running_loop().create_task(
                self._run(timezone.now()), name="live-feed", context=contextvars.Context())
            self._task.add_done_callback(_log_crash)

    def add(self, sub: Subscriber):
        self._all.add(sub)
        if sub.user is None:
            self._by_conversation[sub.conversation_id].add(sub)
        elif sub.user.role == Role.ADMIN:
            self._admins.add(sub)
        else:
            self._by_user[sub.user.pk].add(sub)

    def unsubscribe(self, sub: Subscriber):
        self._all.discard(sub)
        self._admins.discard(sub)
        index, key = (self._by_conversation, sub.conversation_id) if sub.user is None else (self._by_user, sub.user.pk)
        streams = index.get(key)
        if streams is not None:
            streams.discard(sub)
            if not streams:
                del index[key]
        if not self._all:
            self._last_left = time.monotonic()

    @property
    def subscriber_count(self) -> int:
        return len(self._all)

    def close_all(self):
        """The process is stopping: end every stream (the browsers reconnect to another
        process, or to this one once restarted, and poll meanwhile)."""
        for sub in list(self._all):
            sub.end(CLOSE)
            self.unsubscribe(sub)

    # -- the loop -------------------------------------------------------------------
    async def _run(self, deliver_from: datetime | None):
        read = sync_to_async(read_changes, thread_sensitive=False, executor=self._executor)
        check = sync_to_async(ended_sessions, thread_sensitive=False, executor=self._executor)
        failures = 0
        next_recheck = time.monotonic() + self.recheck
        while self._all or time.monotonic() - self._last_left < LINGER_SECONDS:
            started = time.monotonic()
            since = timezone.now() - timedelta(seconds=self.overlap)
            try:
                rows = await read(since)
                if time.monotonic() >= next_recheck:
                    next_recheck = time.monotonic() + self.recheck
                    if self._all:
                        self._end_sessions(await check(list(self._all)))
            except Exception:
                failures += 1
                delay = min(self.tick * 2 ** failures, MAX_BACKOFF_SECONDS)
                logger.exception("live feed: reading changes failed (%s in a row); retrying in %.1f s",
                                 failures, delay)
                await asyncio.sleep(delay)
                continue
            if failures:
                # Changes may have slipped out of the window while the database was away.
                logger.warning("live feed: reading changes works again after %s failures", failures)
                self._resync_all()
                failures = 0
            self.deliver_changes(rows, since, deliver_from=deliver_from)
            deliver_from = None
            if len(rows) >= ROW_LIMIT:
                logger.warning("live feed: %s changes in %s s, more than one read holds; resync",
                               len(rows), self.overlap)
                self._resync_all()
            await asyncio.sleep(max(0.0, self.tick - (time.monotonic() - started)))

    def deliver_changes(self, rows, since: datetime, *, deliver_from: datetime | None = None):
        """One tick's read (the conversations stamped at or after ``since``): what is fresh
        for the team and, on their own stamp, for participants, out to the streams.

        ``deliver_from``: the first read after a start fills the windows with what changed
        before the feed started (the pages were rendered from that) and delivers the rest.
        """
        fresh = self.window.fresh(rows, since)
        # Every conversation has a participant: a customer, or a lead whose visitor may
        # have a stream open (issue 12).
        participant_fresh = self.participant_window.fresh([row.for_participant() for row in rows], since)
        if deliver_from is not None:
            fresh = [row for row in fresh if row.updated_at >= deliver_from]
            participant_fresh = [row for row in participant_fresh if row.updated_at >= deliver_from]
        self.fan_out(fresh, participant_fresh)

    def fan_out(self, rows, participant_rows=None):
        """Each row to the streams whose person may see it now, judged on the row.

        The team (admins, the assignee) hears of every change in ``rows``; the participant
        only of ``participant_rows``: the same conversations as they know them
        (ChangedRow.for_participant), fresh on their own stamp, so an internal note
        (which moves updated_at only) never reaches them. Without ``participant_rows``,
        the participant hears of the rows whose newest change is not a note.
        """
        if participant_rows is None:
            participant_rows = [row.for_participant() for row in rows
                                if row.participant_updated_at == row.updated_at]
        changes = [(row, False) for row in rows] + [(row, True) for row in participant_rows]
        for row, for_participant in sorted(changes, key=lambda change: (change[0].updated_at, change[0].id)):
            event_id = next(self._event_ids)
            if for_participant:
                # The customer's streams, or a website visitor's on this conversation.
                candidates = self._by_user.get(row.customer_id, set()) | self._by_conversation.get(row.id, set())
            else:
                candidates = self._admins | self._by_user.get(row.assigned_to_id, set())
            for sub in candidates:
                if sub.user is None:
                    if conversation_row_open_to_visitor(sub.conversation_id, row):
                        sub.deliver(event_id, row)
                elif conversation_row_visible_to(sub.user, row):
                    sub.deliver(event_id, row)

    def _resync_all(self):
        for sub in self._all:
            sub.ask_resync()

    def _end_sessions(self, ended):
        for sub in ended:
            if sub in self._all:
                sub.end(BYE)
                self.unsubscribe(sub)


def _log_crash(task: asyncio.Task):
    # A crash must be loud (the next stream to connect starts a new loop); a failing query
    # never gets here, the loop retries those itself.
    if not task.cancelled() and task.exception() is not None:
        logger.error("live feed stopped by an error", exc_info=task.exception())


_feed: Feed | None = None


def get_feed() -> Feed:
    """The process's one feed (the live process runs one event loop)."""
    global _feed
    if _feed is None:
        _feed = Feed(tick=settings.LIVE_TICK_SECONDS, overlap=settings.LIVE_OVERLAP_SECONDS,
                     recheck=settings.LIVE_SESSION_RECHECK_SECONDS)
    return _feed


def close_all_streams():
    """End every stream of this process (it is stopping); nothing to do without a feed."""
    if _feed is not None:
        _feed.close_all()
