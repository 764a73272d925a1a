"""The list rows' values are worked out in Python (conversations/views/lists.py), not by
template filters: they must print exactly what the filters printed."""

from datetime import datetime, timedelta, timezone

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import truncatechars
from django.utils import timezone as django_timezone

from conversations.views.lists import list_rows, preview, short_time


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("day, hour, minute", [(1, 0, 0), (9, 7, 5), (28, 23, 59)])
def test_short_time_prints_what_the_date_filter_prints(month, day, hour, minute):
    when = datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)
    assert short_time(when) == date_filter(when, "M j, H:i")


@pytest.mark.parametrize("body", [
    "", "short", "x" * 139, "x" * 140, "x" * 141, "é" * 300, "e\u0301" * 100, "word " * 40, "<b>kept as text</b>",
])
def test_preview_prints_what_truncatechars_prints(body):
    assert preview(body) == truncatechars(body, 140)


def test_row_values_follow_the_viewer_and_the_time_zone(admin_user, sarah, post, many_conversations):
    conversation = many_conversations(1, assignee=sarah)[0]
    post(sarah, conversation, "A reply from Sarah")
    conversation.refresh_from_db()
    with django_timezone.override("Asia/Kolkata"):  # +05:30
        [as_admin] = list_rows(admin_user, [conversation])
        [as_sarah] = list_rows(sarah, [conversation])
        local = django_timezone.localtime(conversation.last_message_at)
    assert as_admin["preview_who"] == "Sarah Johnson" and as_sarah["preview_who"] == "You"
    assert as_admin["preview_text"] == "A reply from Sarah"
    assert local.utcoffset() == timedelta(hours=5, minutes=30)
    assert as_admin["when_iso"] == date_filter(local, "c") and as_admin["when_label"] == date_filter(local, "M j, H:i")
    assert as_admin["assignee_name"] == "Sarah Johnson" and as_admin["status_label"] == "Open"


def test_a_note_is_marked_as_one(admin_user, sarah, many_conversations):
    from conversations.services import conversation_post_message

    conversation = many_conversations(1, assignee=sarah)[0]
    conversation_post_message(actor=sarah, conversation=conversation, body="Internal only", internal=True)
    conversation.refresh_from_db()
    [row] = list_rows(admin_user, [conversation])
    assert row["preview_who"] == "Note, Sarah Johnson" and row["preview_text"] == "Internal only"
