"""Snooze (issue 14): a conversation PENDING until a time, woken to OPEN by the worker at
that time, or earlier by the participant writing; any other status change ends it."""

import time as clock
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conversations.forms import snooze_preset_times
from conversations.models import Conversation, Status
from conversations.services import (
    conversation_bulk_apply,
    conversation_post_message,
    conversation_set_status,
    conversation_snooze,
    conversation_wake,
    conversation_wake_due,
)
from tests.smtp import drain_queue
from tickets.models import SupportTicket

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def snooze_url(portal, c):
    return reverse(f"{portal}:conversation_snooze", args=[c.pk])


def fresh(c) -> Conversation:
    return Conversation.objects.get(pk=c.pk)


def ticket_status(c) -> str:
    return SupportTicket.objects.get(conversation=c).status


def make_due(c) -> None:
    """The snooze's time has come (the clock moved on)."""
    Conversation.objects.filter(pk=c.pk).update(snoozed_until=timezone.now() - timedelta(seconds=1))


# --- the service ---------------------------------------------------------------------


@pytest.mark.django_db
class TestSnoozeService:
    def test_sets_pending_until_and_the_ticket_follows(self, world, django_capture_on_commit_callbacks):
        until = timezone.now() + timedelta(hours=2)
        with django_capture_on_commit_callbacks(execute=True):
            conversation_snooze(actor=world["sarah"], conversation=world["johns"], until=until)
        c = fresh(world["johns"])
        assert (c.status, c.snoozed_until) == (Status.PENDING, until)
        assert world["johns"].snoozed_until == until  # the caller's instance too
        assert ticket_status(c) == Status.PENDING
        # One wake task, due at the snooze's end.
        task = DBTaskResult.objects.get(task_path="conversations.tasks.conversation_wake_task")
        assert task.run_after == until and task.args_kwargs["args"] == [c.pk]

    @pytest.mark.parametrize("delta, reason", [
        (timedelta(minutes=-1), "must end in the future"),
        (timedelta(0), "must end in the future"),
        (timedelta(days=91), "at most 90 days"),
    ])
    def test_until_must_be_in_the_future_and_within_90_days(self, world, delta, reason):
        with pytest.raises(ValidationError, match=reason):
            conversation_snooze(actor=world["sarah"], conversation=world["johns"], until=timezone.now() + delta)
        c = fresh(world["johns"])
        assert (c.status, c.snoozed_until) == (Status.OPEN, None)

    def test_naive_time_refused(self, world):
        with pytest.raises(ValidationError):
            conversation_snooze(actor=world["sarah"], conversation=world["johns"], until=datetime(2030, 1, 1))

    def test_only_who_may_change_the_status(self, world):
        until = timezone.now() + timedelta(hours=1)
        with pytest.raises(Conversation.DoesNotExist):  # not his: "not found"
            conversation_snooze(actor=world["mike"], conversation=world["johns"], until=until)
        with pytest.raises(PermissionDenied):  # sees it, may not change it
            conversation_snooze(actor=world["john"], conversation=world["johns"], until=until)
        assert fresh(world["johns"]).snoozed_until is None

    def test_wake_before_time_does_nothing_then_wakes_and_the_ticket_follows(self, world):
        c = world["johns"]
        conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(hours=1))
        assert conversation_wake(conversation_id=c.pk) is False
        assert fresh(c).status == Status.PENDING
        make_due(c)
        assert conversation_wake(conversation_id=c.pk) is True
        woke = fresh(c)
        assert (woke.status, woke.snoozed_until) == (Status.OPEN, None)
        assert ticket_status(c) == Status.OPEN
        assert conversation_wake(conversation_id=c.pk) is False  # idempotent

    def test_participant_writing_wakes_it_and_clears_the_snooze(self, world):
        c = world["johns"]
        conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(hours=1))
        conversation_post_message(actor=world["john"], conversation=c, body="Any news?")
        woke = fresh(c)
        assert (woke.status, woke.snoozed_until) == (Status.OPEN, None)
        assert ticket_status(c) == Status.OPEN

    def test_lead_writing_wakes_it(self, world):
        c = world["alices"]
        conversation_snooze(actor=world["admin"], conversation=c, until=timezone.now() + timedelta(hours=1))
        conversation_post_message(actor=None, conversation=c, body="Hello again")
        assert (fresh(c).status, fresh(c).snoozed_until) == (Status.OPEN, None)

    def test_team_reply_keeps_the_snooze(self, world):
        c = world["johns"]
        until = timezone.now() + timedelta(hours=1)
        conversation_snooze(actor=world["sarah"], conversation=c, until=until)
        conversation_post_message(actor=world["sarah"], conversation=c, body="Still checking")
        assert (fresh(c).status, fresh(c).snoozed_until) == (Status.PENDING, until)

    @pytest.mark.parametrize("status", [Status.OPEN, Status.RESOLVED, Status.CLOSED])
    def test_a_status_change_by_hand_ends_the_snooze(self, world, status):
        c = world["johns"]
        conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(hours=1))
        conversation_set_status(actor=world["sarah"], conversation=c, status=status)
        assert (fresh(c).status, fresh(c).snoozed_until) == (status, None)
        make_due(c)  # had it stayed, it would be due now
        Conversation.objects.filter(pk=c.pk).update(snoozed_until=None)
        assert conversation_wake(conversation_id=c.pk) is False
        assert fresh(c).status == status

    def test_a_bulk_status_change_ends_the_snooze(self, world):
        c = world["johns"]
        conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(hours=1))
        conversation_bulk_apply(actor=world["admin"], ids=[c.pk], status=Status.RESOLVED)
        assert (fresh(c).status, fresh(c).snoozed_until) == (Status.RESOLVED, None)

    def test_a_stale_task_does_nothing_after_a_re_snooze(self, world):
        c = world["johns"]
        conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(minutes=5))
        later = timezone.now() + timedelta(days=1)
        conversation_snooze(actor=world["sarah"], conversation=c, until=later)
        # The first task runs at its time: the snooze now ends tomorrow, so nothing happens.
        assert conversation_wake(conversation_id=c.pk) is False
        assert (fresh(c).status, fresh(c).snoozed_until) == (Status.PENDING, later)

    def test_wake_due_sweeps_only_what_is_due(self, world):
        soon = timezone.now() + timedelta(hours=1)
        for key in ("johns", "janes"):
            conversation_snooze(actor=world["admin"], conversation=world[key], until=soon)
        make_due(world["johns"])
        assert conversation_wake_due() == 1
        assert fresh(world["johns"]).status == Status.OPEN
        assert fresh(world["janes"]).status == Status.PENDING

    def test_the_sweep_command(self, world, capsys):
        conversation_snooze(actor=world["admin"], conversation=world["johns"], until=timezone.now() + timedelta(hours=1))
        make_due(world["johns"])
        call_command("snooze_wake_due")
        assert "Woke 1 snoozed conversation(s)." in capsys.readouterr().out
        assert fresh(world["johns"]).status == Status.OPEN


# --- the real worker -----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_worker_wakes_a_snoozed_conversation_when_its_time_comes(world):
    """The per-snooze task, run by the real `db_worker`, not a page view: before the time
    nothing happens; once it has passed the conversation and its ticket are OPEN."""
    c = world["johns"]
    until = timezone.now() + timedelta(seconds=2)
    conversation_snooze(actor=world["sarah"], conversation=c, until=until)  # commits: the task is queued
    assert DBTaskResult.objects.filter(task_path="conversations.tasks.conversation_wake_task").count() == 1
    drain_queue()
    assert fresh(c).status == Status.PENDING  # not yet due
    while timezone.now() <= until:
        clock.sleep(0.1)
    drain_queue()
    woke = fresh(c)
    assert (woke.status, woke.snoozed_until) == (Status.OPEN, None)
    assert ticket_status(c) == Status.OPEN
    assert DBTaskResult.objects.get(task_path="conversations.tasks.conversation_wake_task").status == "SUCCESSFUL"


@pytest.mark.django_db(transaction=True)
def test_the_worker_leaves_a_conversation_reopened_meanwhile(world):
    c = world["johns"]
    conversation_snooze(actor=world["sarah"], conversation=c, until=timezone.now() + timedelta(hours=1))
    conversation_set_status(actor=world["sarah"], conversation=c, status=Status.RESOLVED)
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    drain_queue()
    assert (fresh(c).status, fresh(c).snoozed_until) == (Status.RESOLVED, None)


# --- presets in the viewer's time zone -------------------------------------------------


@pytest.mark.parametrize("now, zone, tomorrow, monday", [
    # Thursday 11:00 UTC is Thursday 20:00 in Tokyo: tomorrow 9:00 Tokyo is midnight UTC.
    (datetime(2026, 11, 26, 11, tzinfo=UTC), TOKYO, datetime(2026, 11, 27, 0, tzinfo=UTC),
     datetime(2026, 11, 30, 0, tzinfo=UTC)),
    (datetime(2026, 11, 26, 11, tzinfo=UTC), UTC, datetime(2026, 11, 27, 9, tzinfo=UTC),
     datetime(2026, 11, 30, 9, tzinfo=UTC)),
    # Thursday 16:00 UTC is already Friday 01:00 in Tokyo: its "tomorrow" is Saturday.
    (datetime(2026, 11, 26, 16, tzinfo=UTC), TOKYO, datetime(2026, 11, 28, 0, tzinfo=UTC),
     datetime(2026, 11, 30, 0, tzinfo=UTC)),
    # Sunday 23:30 UTC is Monday 08:30 in Tokyo: "next Monday" is a week on.
    (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), TOKYO, datetime(2026, 12, 1, 0, tzinfo=UTC),
     datetime(2026, 12, 7, 0, tzinfo=UTC)),
])
def test_presets_are_computed_in_the_viewers_zone(now, zone, tomorrow, monday):
    times = snooze_preset_times(now, zone)
    assert times == {"hour": now + timedelta(hours=1), "tomorrow": tomorrow, "monday": monday}


# --- the pages -------------------------------------------------------------------------


@pytest.mark.django_db
class TestSnoozeViews:
    def test_staff_preset_hour(self, world, as_user):
        before = timezone.now()
        response = as_user(world["sarah"]).post(snooze_url("staff", world["johns"]), {"preset": "hour"})
        assert response.status_code == 302
        c = fresh(world["johns"])
        assert c.status == Status.PENDING
        assert before + timedelta(hours=1) <= c.snoozed_until <= timezone.now() + timedelta(hours=1)

    def test_tomorrow_is_9_on_the_viewers_clock(self, world, as_user):
        sarah = world["sarah"]
        sarah.time_zone = "Asia/Tokyo"
        sarah.save(update_fields=["time_zone"])
        as_user(sarah).post(snooze_url("staff", world["johns"]), {"preset": "tomorrow"})
        local = fresh(world["johns"]).snoozed_until.astimezone(TOKYO)
        assert (local.date(), local.hour, local.minute) == (
            timezone.now().astimezone(TOKYO).date() + timedelta(days=1), 9, 0)

    def test_chosen_time_is_read_in_the_viewers_zone(self, world, as_user):
        admin = world["admin"]
        admin.time_zone = "Asia/Tokyo"
        admin.save(update_fields=["time_zone"])
        day = (timezone.now().astimezone(TOKYO) + timedelta(days=3)).date()
        response = as_user(admin).post(snooze_url("console", world["janes"]),
                                       {"preset": "custom", "until": f"{day.isoformat()}T10:30"})
        assert response.status_code == 302
        assert fresh(world["janes"]).snoozed_until == datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)

    @pytest.mark.parametrize("data, reason", [
        ({"preset": "year"}, "Select a valid choice"),
        ({}, "This field is required"),
        ({"preset": "custom", "until": ""}, "Choose a date and time"),
        ({"preset": "custom", "until": "tomorrow"}, "Choose a date and time"),
        ({"preset": "custom", "until": "2001-01-01T10:00"}, "must end in the future"),
        ({"preset": "custom", "until": "2099-01-01T10:00"}, "at most 90 days"),
    ])
    def test_bad_input_is_400_with_the_reason_and_changes_nothing(self, world, as_user, data, reason):
        response = as_user(world["sarah"]).post(snooze_url("staff", world["johns"]), data)
        assert response.status_code == 400
        assert reason in response.content.decode()
        assert (fresh(world["johns"]).status, fresh(world["johns"]).snoozed_until) == (Status.OPEN, None)

    def test_htmx_gets_the_panel_saying_until_when_with_unsnooze(self, world, as_user):
        client = as_user(world["sarah"])
        html = client.post(snooze_url("staff", world["johns"]), {"preset": "monday"},
                           headers={"HX-Request": "true", "HX-Target": "conversation-panel"}).content.decode()
        until = fresh(world["johns"]).snoozed_until
        assert f'Snoozed until <time datetime="{until.isoformat()}' in html
        assert "Unsnooze" in html
        # Unsnooze is the status control set to OPEN.
        client.post(reverse("staff:conversation_status", args=[world["johns"].pk]), {"status": "OPEN"})
        assert (fresh(world["johns"]).status, fresh(world["johns"]).snoozed_until) == (Status.OPEN, None)
        assert "Snoozed until" not in client.get(reverse("staff:conversation_detail", args=[world["johns"].pk])).content.decode()

    def test_other_staff_404_customer_403(self, world, as_user):
        assert as_user(world["mike"]).post(snooze_url("staff", world["johns"]), {"preset": "hour"}).status_code == 404
        assert as_user(world["john"]).post(snooze_url("staff", world["johns"]), {"preset": "hour"}).status_code == 403
        assert fresh(world["johns"]).snoozed_until is None

    @pytest.mark.parametrize("portal, viewer", [("staff", "sarah"), ("console", "admin")])
    def test_lists_say_snoozed_until(self, world, as_user, portal, viewer):
        until = timezone.now() + timedelta(hours=3)
        conversation_snooze(actor=world["admin"], conversation=world["johns"], until=until)
        html = as_user(world[viewer]).get(reverse(f"{portal}:conversation_list")).content.decode()
        assert f'snoozed until <time datetime="{until.isoformat()}' in html


# --- lists with snoozed rows cost the same --------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 30])
def test_staff_list_with_snoozed_rows_queries(sarah, as_user, many_conversations, django_assert_num_queries, rows):
    until = timezone.now() + timedelta(hours=5)
    for c in many_conversations(rows, sarah):
        conversation_snooze(actor=sarah, conversation=c, until=until)
    client = as_user(sarah)
    # 1 session, 2 user, 3 count + newest activity, 4 the page's conversations,
    # 5 unread counts, 6 last messages, 7 @mention marks (snoozed_until is a column of the
    # row: no query)
    with django_assert_num_queries(7):
        html = client.get(reverse("staff:conversation_list")).content.decode()
    assert html.count("snoozed until <time") == min(rows, 25)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [3, 30])
def test_console_list_with_snoozed_rows_queries(admin_user, sarah, as_user, many_conversations,
                                                django_assert_num_queries, rows):
    until = timezone.now() + timedelta(hours=5)
    for c in many_conversations(rows, sarah):
        conversation_snooze(actor=admin_user, conversation=c, until=until)
    client = as_user(admin_user)
    # 1 session, 2 user, 3 team members (filter, option list, bulk bar), 4 count + newest
    # activity, 5 the page's conversations, 6 unread counts, 7 last messages, 8 @mention marks
    with django_assert_num_queries(8):
        html = client.get(reverse("console:conversation_list")).content.decode()
    assert html.count("snoozed until <time") == min(rows, 25)
