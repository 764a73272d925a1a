"""Reads move the lists (issue 15, part 4): marking messages read moves what the list
poll's stamp and the live feed are built from (the conversation's updated_at), so a read
in one place clears the badge on every other open list at its next poll or stream event;
reading nothing new writes nothing and leaves every stamp alone."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation
from conversations.services import conversation_assign, conversation_mark_read
from live.feed import read_changes


def stamp_of(response) -> str:
    return re.search(r"stamp=([0-9.\-]+)", response.content.decode()).group(1)


def badge_of(response, conversation) -> str | None:
    html = response.content.decode()
    row = html[html.index(f"/conversations/{conversation.pk}/"):]
    row = row[: row.index("</li>")]
    found = re.search(r'class="badge"[^>]*>(\d+)', row)
    return found.group(1) if found else None


@pytest.fixture
def sarahs(admin_user, sarah, john, johns_conversation, post):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    post(john, johns_conversation, "one")
    post(john, johns_conversation, "two")
    return johns_conversation


@pytest.mark.django_db
class TestMarkReadMovesTheStamp:
    def test_marking_moves_updated_at(self, sarah, sarahs):
        before = Conversation.objects.get(pk=sarahs.pk).updated_at
        assert conversation_mark_read(reader=sarah, conversation=sarahs) == 2
        after = Conversation.objects.get(pk=sarahs.pk).updated_at
        assert after > before and sarahs.updated_at == after

    def test_marking_nothing_writes_nothing(self, sarah, sarahs, django_assert_num_queries):
        conversation_mark_read(reader=sarah, conversation=sarahs)
        stamp = Conversation.objects.get(pk=sarahs.pk).updated_at
        # 1 the read-mark UPDATE, which matches no row: no second write
        with django_assert_num_queries(1):
            assert conversation_mark_read(reader=sarah, conversation=sarahs) == 0
        assert Conversation.objects.get(pk=sarahs.pk).updated_at == stamp

    def test_someone_who_reads_nothing_moves_nothing(self, jane, sarahs):
        stamp = Conversation.objects.get(pk=sarahs.pk).updated_at
        assert conversation_mark_read(reader=jane, conversation=sarahs) == 0
        assert Conversation.objects.get(pk=sarahs.pk).updated_at == stamp


@pytest.mark.django_db
class TestOtherListsFollowAReadOnTheirNextPoll:
    def test_sarah_reads_and_the_admins_console_poll_answers_with_the_badge_gone(
            self, as_user, admin_user, sarah, sarahs):
        console = as_user(admin_user)
        page = console.get(reverse("console:conversation_list"))
        assert badge_of(page, sarahs) == "2"
        stamp = stamp_of(page)
        assert console.get(reverse("console:conversation_rows"), {"stamp": stamp}).status_code == 204

        as_user(sarah).get(reverse("staff:conversation_detail", args=[sarahs.pk]))  # Sarah reads

        rows = console.get(reverse("console:conversation_rows"), {"stamp": stamp})
        assert rows.status_code == 200 and badge_of(rows, sarahs) is None
        # and the next idle poll, with the new stamp, is a 204 again (nothing written meanwhile)
        assert console.get(reverse("console:conversation_rows"), {"stamp": stamp_of(rows)}).status_code == 204

    def test_a_read_in_one_tab_moves_the_readers_own_inbox_in_another(self, as_user, sarah, sarahs):
        client = as_user(sarah)
        inbox = client.get(reverse("staff:conversation_list"))
        assert badge_of(inbox, sarahs) == "2"
        client.get(reverse("staff:conversation_messages", args=[sarahs.pk]), {"after": 0}, HTTP_HX_REQUEST="true")
        rows = client.get(reverse("staff:conversation_rows"), {"stamp": stamp_of(inbox)})
        assert rows.status_code == 200 and badge_of(rows, sarahs) is None

    def test_reopening_a_read_conversation_leaves_the_stamp(self, as_user, admin_user, sarah, sarahs):
        as_user(sarah).get(reverse("staff:conversation_detail", args=[sarahs.pk]))
        console = as_user(admin_user)
        stamp = stamp_of(console.get(reverse("console:conversation_list")))
        as_user(sarah).get(reverse("staff:conversation_detail", args=[sarahs.pk]))  # nothing new to read
        assert console.get(reverse("console:conversation_rows"), {"stamp": stamp}).status_code == 204


@pytest.mark.django_db
def test_the_live_feed_carries_a_read(sarah, sarahs):
    Conversation.objects.filter(pk=sarahs.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    since = timezone.now()
    assert [row.id for row in read_changes(since)] == []
    conversation_mark_read(reader=sarah, conversation=sarahs)
    assert [row.id for row in read_changes(since)] == [sarahs.pk]
