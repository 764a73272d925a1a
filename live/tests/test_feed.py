"""The change feed's logic without a live process, on every database: the overlap window
delivers each change once and still catches a late commit; the read is values only,
bounded and windowed; fan-out reaches exactly the streams that may see a row."""

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import conversation_assign
from live.feed import BYE, ChangedRow, ChangeWindow, Feed, Subscriber, ended_sessions, read_changes
from tests.personas import client_for

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=dt_timezone.utc)


def row(pk, seconds, *, assigned_to_id=None, customer_id=None, seq=1):
    return ChangedRow(pk, T0 + timedelta(seconds=seconds), seq, "OPEN", assigned_to_id, customer_id)


def test_overlapping_reads_deliver_each_change_once():
    window = ChangeWindow()
    a, b = row(1, 0), row(2, 0.5)
    assert window.fresh([b, a], since=T0 - timedelta(seconds=10)) == [b, a]
    # The next tick re-reads the same window: nothing new.
    assert window.fresh([b, a], since=T0 - timedelta(seconds=9.7)) == []
    # The same conversation changing again is a new change.
    a2 = row(1, 1)
    assert window.fresh([a2, b, a], since=T0 - timedelta(seconds=9.4)) == [a2]


def test_a_late_commit_with_an_older_stamp_is_still_fresh():
    """The reason for the overlap: row 3 was stamped before row 4 but commits after the
    read that delivered row 4; the next read (which still covers its stamp) delivers it."""
    window = ChangeWindow()
    assert window.fresh([row(4, 2)], since=T0 - timedelta(seconds=8)) == [row(4, 2)]
    late = row(3, 1)
    assert window.fresh([row(4, 2), late], since=T0 - timedelta(seconds=7.7)) == [late]


def test_the_window_forgets_only_what_no_later_read_can_return():
    window = ChangeWindow()
    window.fresh([row(1, 0), row(2, 5)], since=T0 - timedelta(seconds=1))
    window.fresh([row(2, 5)], since=T0 + timedelta(seconds=1))  # row 1 fell out of the window
    assert len(window) == 1
    assert window.fresh([row(2, 5)], since=T0 + timedelta(seconds=2)) == []


@pytest.mark.django_db
def test_the_read_is_one_query_of_values_within_the_window(world):
    old = Conversation.objects.filter(pk=world["alices"].pk)
    old.update(updated_at=timezone.now() - timedelta(minutes=5))
    since = timezone.now() - timedelta(seconds=10)
    with CaptureQueriesContext(connection) as queries:
        rows = read_changes(since)
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "body" not in sql and "LIMIT" in sql.upper()  # no message text; bounded
    assert {r.id for r in rows} == {world["johns"].pk, world["janes"].pk}
    assert [r.updated_at for r in rows] == sorted((r.updated_at for r in rows), reverse=True)
    johns = next(r for r in rows if r.id == world["johns"].pk)
    assert (johns.last_seq, johns.assigned_to_id, johns.customer_id) == (2, world["sarah"].pk, world["john"].pk)
    assert len(read_changes(since, limit=1)) == 1


def subscribers(world):
    return {name: Subscriber(world[name], None) for name in ("admin", "sarah", "mike", "john", "jane")}


def received(subs):
    return {name: [event[1].id for event in sub.take()[1]] for name, sub in subs.items()}


@pytest.mark.django_db
def test_fan_out_reaches_exactly_who_may_see_the_row_now(world):
    feed = Feed(tick=0.3, overlap=10, recheck=60)
    subs = subscribers(world)
    for sub in subs.values():
        feed.add(sub)
    johns, janes, alices = (world[key].pk for key in ("johns", "janes", "alices"))
    feed.fan_out(read_changes(timezone.now() - timedelta(seconds=10)))
    assert received(subs) == {"admin": sorted_ids(world), "sarah": [johns], "mike": [janes],
                              "john": [johns], "jane": [janes]}
    # Reassigned away: the row as read now goes to the new assignee, not the old one.
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
    feed.fan_out([r for r in read_changes(timezone.now() - timedelta(seconds=10)) if r.id == johns])
    assert received(subs) == {"admin": [johns], "sarah": [], "mike": [johns], "john": [johns], "jane": []}
    assert alices  # the lead's conversation: admins only (checked in the first fan-out)


def sorted_ids(world):
    rows = Conversation.objects.order_by("updated_at", "id").values_list("pk", flat=True)
    return list(rows)


@pytest.mark.django_db
def test_a_stream_that_left_gets_nothing(world):
    feed = Feed(tick=0.3, overlap=10, recheck=60)
    subs = subscribers(world)
    for sub in subs.values():
        feed.add(sub)
    feed.unsubscribe(subs["sarah"])
    feed.unsubscribe(subs["admin"])
    feed.fan_out(read_changes(timezone.now() - timedelta(seconds=10)))
    assert received(subs)["sarah"] == [] and received(subs)["admin"] == []
    assert feed.subscriber_count == 3


@pytest.mark.django_db
def test_a_slow_stream_gets_resync_instead_of_an_endless_queue(world):
    from live import feed as feed_module

    sub = Subscriber(world["admin"], None)
    for event_id in range(feed_module.QUEUE_LIMIT + 1):
        sub.deliver(event_id, row(1, event_id))
    resync, events, final = sub.take()
    assert resync and events == [] and final is None


@pytest.mark.django_db
def test_the_bulk_session_check_ends_signed_out_deactivated_and_changed_sessions(world):
    def session_of(user):
        client = client_for(user)
        return client, client.cookies["sessionid"].value

    subs, clients = {}, {}
    for name in ("john", "jane", "sarah", "mike", "admin"):
        clients[name], key = session_of(world[name])
        subs[name] = Subscriber(world[name], key)
    with CaptureQueriesContext(connection) as queries:
        assert ended_sessions(list(subs.values())) == set()
    assert len(queries) == 2  # the sessions, the users: whatever the number of streams
    clients["john"].post("/accounts/logout/")  # signs out: the session row is gone
    world["jane"].is_active = False
    world["jane"].save(update_fields=["is_active"])
    world["sarah"].set_password("a-new-password-for-sarah")  # other sessions end (Django's rule)
    world["sarah"].save()
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=subs["mike"].session_key).update(expire_date=timezone.now())
    assert ended_sessions(list(subs.values())) == {subs["john"], subs["jane"], subs["sarah"], subs["mike"]}
    assert BYE == "bye"


# --- Website visitors (issue 12): a stream opened by a visitor cookie -------------------

@pytest.mark.django_db
def test_a_visitor_stream_hears_only_its_own_conversation_while_it_is_open_to_visitors(world):
    from leads.visitor import visitor_pass_issue

    alices = world["alices"]
    token = visitor_pass_issue(conversation=alices)
    visitor = Subscriber(None, None, visitor_token=token, conversation_id=alices.pk)
    feed = Feed(tick=0.3, overlap=10, recheck=60)
    subs = {**subscribers(world), "visitor": visitor}
    for sub in subs.values():
        feed.add(sub)
    feed.fan_out(read_changes(timezone.now() - timedelta(seconds=10)))
    assert received(subs)["visitor"] == [alices.pk]
    # Rows the rule refuses on sight: closed, or become a customer's.
    feed.fan_out([ChangedRow(alices.pk, T0, 3, "CLOSED", None, None),
                  ChangedRow(alices.pk, T0, 4, "OPEN", None, world["john"].pk),
                  ChangedRow(world["johns"].pk, T0, 4, "OPEN", None, world["john"].pk)])
    assert received(subs)["visitor"] == []
    feed.unsubscribe(visitor)
    feed.fan_out([ChangedRow(alices.pk, T0, 5, "OPEN", None, None)])
    assert received(subs)["visitor"] == [] and feed.subscriber_count == 5


@pytest.mark.django_db
def test_the_recheck_ends_a_visitor_stream_once_its_cookie_opens_nothing(world):
    from conversations.services import conversation_set_status
    from leads.visitor import visitor_pass_issue

    alices = world["alices"]
    visitor = Subscriber(None, None, visitor_token=visitor_pass_issue(conversation=alices), conversation_id=alices.pk)
    forged = Subscriber(None, None, visitor_token="forged", conversation_id=alices.pk)
    with CaptureQueriesContext(connection) as queries:
        assert ended_sessions([visitor, forged]) == {forged}
    assert len(queries) == 1  # the visitors' conversations, all in one query
    conversation_set_status(actor=world["admin"], conversation=alices, status="CLOSED")
    assert ended_sessions([visitor]) == {visitor}
