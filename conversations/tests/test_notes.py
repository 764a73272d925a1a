"""Internal notes (issue 14 part 1, SECURITY_CASES 39): the team writes them into the
thread; the participant never learns one exists, through any door: page, poll, earlier
pages, API, unread and tab counts, live feed, ticket, search. A note is not a reply: it
reopens nothing, wakes no snooze, touches no ticket.

Emails are in notifications/tests/test_note_emails.py; @mentions in test_mentions.py;
who may call which route in tests/test_access_matrix.py."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from conversations.models import Message, Status
from conversations.search import parse_search
from conversations.selectors import (
    attention_for,
    conversation_list_for,
    message_list_for,
    unread_counts_for,
)
from conversations.services import (
    conversation_mark_read,
    conversation_post_message,
    conversation_set_status,
    conversation_snooze,
)
from live.feed import Feed, Subscriber, read_changes
from tests.api.client import api_client, call, messages_url
from tickets.models import SupportTicket

HTMX = {"HTTP_HX_REQUEST": "true"}
SECRET = "Refund approved quietly zanzibar"  # a note's text: must never reach the customer


def note(actor, conversation, body=SECRET, **kwargs):
    return conversation_post_message(actor=actor, conversation=conversation, body=body, internal=True, **kwargs)


def portal_poll(client, after):
    return client.get(reverse("portal:messages"), {"after": after}, **HTMX)


# --- the service ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_note_takes_the_next_seq_and_leaves_everything_the_participant_sees(world):
    johns, sarah = world["johns"], world["sarah"]
    johns.refresh_from_db()
    before = {field: getattr(johns, field) for field in
              ("last_public_seq", "last_message_at", "status", "participant_updated_at", "updated_at")}
    ticket = SupportTicket.objects.get(conversation=johns)

    message = note(sarah, johns)

    johns.refresh_from_db()
    assert (message.internal, message.seq, message.public_seq, message.from_participant) == (True, 3, None, False)
    assert johns.last_seq == 3 and johns.last_public_seq == before["last_public_seq"] == 2
    assert johns.last_message_at == before["last_message_at"]  # not a reply: "last message" stays
    assert johns.status == before["status"]
    # The team's lists and streams move; the participant's stamp does not.
    assert johns.updated_at > before["updated_at"]
    assert johns.participant_updated_at == before["participant_updated_at"]
    # The ticket is untouched: status, description, stamp.
    after = SupportTicket.objects.get(pk=ticket.pk)
    assert (after.status, after.description, after.updated_at) == (ticket.status, ticket.description, ticket.updated_at)

    # The next public message carries on both numberings without a gap for the participant.
    reply = conversation_post_message(actor=sarah, conversation=johns, body="A public reply")
    assert (reply.seq, reply.public_seq) == (4, 3)
    johns.refresh_from_db()
    assert johns.participant_updated_at == johns.updated_at  # a public change: both move


@pytest.mark.django_db
def test_a_note_does_not_reopen_or_wake_and_is_no_reply(world):
    johns, sarah = world["johns"], world["sarah"]
    conversation_set_status(actor=sarah, conversation=johns, status=Status.RESOLVED)
    note(sarah, johns, "Resolved, but noting this")
    johns.refresh_from_db()
    assert johns.status == Status.RESOLVED

    until = timezone.now() + timedelta(hours=3)
    conversation_snooze(actor=sarah, conversation=johns, until=until)
    note(sarah, johns, "Snoozed, noting this")
    johns.refresh_from_db()
    assert johns.status == Status.PENDING and johns.snoozed_until == until
    assert SupportTicket.objects.get(conversation=johns).status == Status.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["john", "jane_on_own", "lead"])
def test_nobody_but_the_team_writes_a_note(world, who):
    conversation = {"john": world["johns"], "jane_on_own": world["janes"], "lead": world["alices"]}[who]
    actor = {"john": world["john"], "jane_on_own": world["jane"], "lead": None}[who]
    count = Message.objects.count()
    with pytest.raises(PermissionDenied, match="Only the support team"):
        note(actor, conversation)
    assert Message.objects.count() == count


@pytest.mark.django_db
def test_staff_who_cannot_see_the_conversation_cannot_note_it(world):
    from conversations.models import Conversation

    with pytest.raises(Conversation.DoesNotExist):
        note(world["mike"], world["johns"])
    assert not Message.objects.filter(internal=True).exists()


@pytest.mark.django_db
def test_an_admin_notes_any_conversation_a_lead_one_included(world):
    assert note(world["admin"], world["alices"]).internal
    assert note(world["admin"], world["janes"]).internal


# --- the participant's doors ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_page_and_poll_never_show_a_note_and_the_idle_poll_is_unchanged(world, as_user):
    john = as_user(world["john"])
    page = john.get(reverse("portal:chat")).content.decode()
    assert 'data-seq="2"' in page and "?after=2" in page
    idle = portal_poll(john, 2)
    assert idle.status_code == 204

    note(world["sarah"], world["johns"])

    page_after = john.get(reverse("portal:chat")).content.decode()
    assert SECRET not in page_after and "Only the team sees this" not in page_after
    assert "Internal note" not in page_after  # no switch for the customer either
    assert 'data-seq="3"' not in page_after and "?after=2" in page_after
    again = portal_poll(john, 2)
    assert (again.status_code, again.content) == (204, idle.content)
    assert again.headers.get("ETag") == idle.headers.get("ETag")
    # Even a client asking from before its cursor sees no trace of the note.
    replay = portal_poll(john, 0).content.decode()
    assert SECRET not in replay and 'data-seq="3"' not in replay and "?after=2" in replay

    # A reply after the note is the customer's number 3: no gap where the note is.
    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="Your refund is on its way")
    fresh = portal_poll(john, 2).content.decode()
    assert 'data-seq="3"' in fresh and "Your refund is on its way" in fresh and SECRET not in fresh


@pytest.mark.django_db
@pytest.mark.parametrize("portal", ["staff", "console"])
def test_the_team_sees_the_note_distinctly_and_polls_it(world, as_user, portal):
    viewer = world["sarah"] if portal == "staff" else world["admin"]
    client = as_user(viewer)
    note(world["sarah"], world["johns"])
    page = client.get(reverse(f"{portal}:conversation_detail", args=[world["johns"].pk])).content.decode()
    assert SECRET in page and "msg-internal" in page and "Only the team sees this" in page
    assert 'name="internal"' in page  # the switch beside Send
    poll = client.get(reverse(f"{portal}:conversation_messages", args=[world["johns"].pk]), {"after": 2}, **HTMX)
    assert poll.status_code == 200 and SECRET in poll.content.decode() and 'data-seq="3"' in poll.content.decode()


@pytest.mark.django_db
def test_earlier_pages_for_the_participant_skip_notes_without_gaps(world):
    johns, sarah, john = world["johns"], world["sarah"], world["john"]
    for n in range(6):
        note(sarah, johns, f"note {n}")
        conversation_post_message(actor=john if n % 2 else sarah, conversation=johns, body=f"public {n}")
    johns.refresh_from_db()
    assert (johns.last_seq, johns.last_public_seq) == (14, 8)
    pages, before = [], johns.last_public_seq + 1
    while True:
        page = message_list_for(johns, before=before, limit=3)
        if not page:
            break
        pages.append([m.cursor for m in page])
        assert not any(m.internal for m in page)
        before = page[0].cursor
    assert pages == [[6, 7, 8], [3, 4, 5], [1, 2]]
    team = message_list_for(johns, for_team=True, before=15, limit=14)
    assert [m.cursor for m in team] == list(range(1, 15)) and sum(m.internal for m in team) == 6


@pytest.mark.django_db
def test_the_html_earlier_page_for_the_customer_has_no_note(world, as_user):
    note(world["sarah"], world["johns"], "early note")
    conversation_post_message(actor=world["john"], conversation=world["johns"], body="later")
    html = as_user(world["john"]).get(reverse("portal:messages"), {"before": 3}, **HTMX).content.decode()
    assert "early note" not in html and "Hello from John" in html
    assert "?before=" not in html  # nothing before the first message: no control


# --- the API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_the_customer_never_gets_a_note_and_counts_without_gaps(world):
    note(world["sarah"], world["johns"])
    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="public after the note")
    john = api_client(world["john"])
    answer = call(john, "GET", messages_url(world["johns"].pk)).json()
    assert [(m["seq"], m["internal"]) for m in answer["items"]] == [(1, False), (2, False), (3, False)]
    assert answer["count"] == 3 and SECRET not in json.dumps(answer)
    paged = call(john, "GET", messages_url(world["johns"].pk), query={"before": 3, "limit": 1}).json()
    assert [m["seq"] for m in paged["items"]] == [2] and paged["count"] == 2
    assert call(john, "GET", messages_url(world["johns"].pk), query={"after": 2}).json()["items"][0]["body"] == \
        "public after the note"

    sarah = api_client(world["sarah"])
    team = call(sarah, "GET", messages_url(world["johns"].pk)).json()
    assert [(m["seq"], m["internal"]) for m in team["items"]] == [(1, False), (2, False), (3, True), (4, False)]
    assert team["items"][2]["body"] == SECRET


@pytest.mark.django_db
def test_api_post_a_note_team_only(world):
    url = messages_url(world["johns"].pk)
    created = call(api_client(world["sarah"]), "POST", url, {"body": "API note", "internal": True})
    assert created.status_code == 201
    assert created.json()["internal"] is True and created.json()["seq"] == 3

    count = Message.objects.count()
    refused = call(api_client(world["john"]), "POST", url, {"body": "sneaky", "internal": True})
    assert refused.status_code == 403 and "support team" in refused.json()["detail"]
    bad = call(api_client(world["sarah"]), "POST", url, {"body": "x", "internal": "yes"})
    assert bad.status_code in (400, 422)
    assert call(api_client(world["mike"]), "POST", url, {"body": "not mine", "internal": True}).status_code == 404
    assert Message.objects.count() == count
    # A customer's own public message answers with their own numbering.
    mine = call(api_client(world["john"]), "POST", url, {"body": "public", "internal": False}).json()
    assert (mine["seq"], mine["internal"]) == (3, False)


# --- forms -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_team_form_posts_a_note_and_the_customer_form_cannot(world, as_user):
    sarah = as_user(world["sarah"])
    url = reverse("staff:conversation_reply", args=[world["johns"].pk])
    response = sarah.post(url, {"body": "Form note", "client_token": "0b7c8f9e-1d2a-4b3c-8d4e-5f6a7b8c9d0e",
                                "internal": "on"}, **HTMX)
    assert response.status_code == 204
    assert Message.objects.get(body="Form note").internal

    count = Message.objects.count()
    john = as_user(world["john"])
    refused = john.post(reverse("portal:send"), {"body": "customer note", "internal": "on",
                                                 "client_token": "1b7c8f9e-1d2a-4b3c-8d4e-5f6a7b8c9d0e"}, **HTMX)
    assert refused.status_code == 403 and "support team" in refused.content.decode()
    plain = john.post(reverse("portal:send"), {"body": "customer note", "internal": "on",
                                               "client_token": "2b7c8f9e-1d2a-4b3c-8d4e-5f6a7b8c9d0e"})
    assert plain.status_code == 403 and "support team" in plain.content.decode()
    assert Message.objects.count() == count


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_unread_and_attention_counts_ignore_notes(world):
    john, johns, sarah = world["john"], world["johns"], world["sarah"]
    before = (unread_counts_for(john, [johns]), attention_for(john), unread_counts_for(sarah, [johns]),
              attention_for(sarah))
    note(sarah, johns)
    note(world["admin"], johns, "admin note")
    assert (unread_counts_for(john, [johns]), attention_for(john), unread_counts_for(sarah, [johns]),
            attention_for(sarah)) == before
    # The customer reading marks Sarah's reply, never a note.
    assert conversation_mark_read(reader=john, conversation=johns) == 1
    assert not Message.objects.filter(internal=True, read_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_customer_attention_answer_is_the_same_after_a_note(world, as_user):
    john = as_user(world["john"])
    before = john.get(reverse("portal:attention")).content
    note(world["sarah"], world["johns"])
    assert john.get(reverse("portal:attention")).content == before


# --- search ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_search_the_team_finds_notes_a_participant_never(world):
    note(world["sarah"], world["johns"])
    words = parse_search("zanzibar quietly")
    assert {c.pk for c in conversation_list_for(world["sarah"], search=words)} == {world["johns"].pk}
    assert {c.pk for c in conversation_list_for(world["admin"], search=words)} == {world["johns"].pk}
    assert not conversation_list_for(world["john"], search=words).exists()
    assert not conversation_list_for(world["mike"], search=words).exists()


# --- the live feed -----------------------------------------------------------------------------


def _subscribers(world):
    return {name: Subscriber(world[name], None) for name in ("admin", "sarah", "mike", "john", "jane")}


def _received(subs):
    return {name: [(row.id, row.last_seq) for _id, row in sub.take()[1]] for name, sub in subs.items()}


@pytest.mark.django_db
def test_the_live_feed_tells_the_team_of_a_note_and_never_the_participant(world):
    feed = Feed(tick=0.3, overlap=10, recheck=60)
    subs = _subscribers(world)
    for sub in subs.values():
        feed.add(sub)
    johns = world["johns"].pk
    since = timezone.now() - timedelta(seconds=10)
    feed.deliver_changes(read_changes(since), since)  # the world's own changes
    _received(subs)

    note(world["sarah"], world["johns"])
    since = timezone.now() - timedelta(seconds=10)
    feed.deliver_changes(read_changes(since), since)
    assert _received(subs) == {"admin": [(johns, 3)], "sarah": [(johns, 3)], "mike": [], "john": [], "jane": []}

    # A public reply right after: the customer hears of it, with their own cursor (3, not 4).
    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="public")
    since = timezone.now() - timedelta(seconds=10)
    feed.deliver_changes(read_changes(since), since)
    assert _received(subs)["john"] == [(johns, 3)]


@pytest.mark.django_db
def test_a_reply_then_a_note_within_one_tick_still_reaches_the_participant(world):
    """The note is the row's newest change when the feed reads it; the reply before it is
    still the participant's news (their stamp moved), and they hear of it once."""
    feed = Feed(tick=0.3, overlap=10, recheck=60)
    subs = _subscribers(world)
    for sub in subs.values():
        feed.add(sub)
    since = timezone.now() - timedelta(seconds=10)
    feed.deliver_changes(read_changes(since), since)
    _received(subs)

    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="public reply")
    note(world["sarah"], world["johns"])
    for _tick in range(2):  # overlapping reads deliver once
        since = timezone.now() - timedelta(seconds=10)
        feed.deliver_changes(read_changes(since), since)
    assert _received(subs)["john"] == [(world["johns"].pk, 3)]
