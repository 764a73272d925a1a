"""SPEC §4.6: who sees which conversation, decided by visible_to alone."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from conversations.models import Conversation
from conversations.selectors import conversation_get_for, conversation_list_for, unread_counts_for
from conversations.services import conversation_assign, conversation_post_message
from tickets.models import SupportTicket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(admin_user, sarah, mike, john, jane, johns_conversation, janes_conversation, lead_conversation):
    """John's thread is Sarah's, Jane's is unassigned, the lead's is Mike's; each has a ticket."""
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_assign(actor=admin_user, conversation=lead_conversation, assignee=mike)
    conversation_post_message(actor=john, conversation=johns_conversation, body="John here")
    conversation_post_message(actor=jane, conversation=janes_conversation, body="Jane here")
    conversation_post_message(actor=None, conversation=lead_conversation, body="Lead here")
    return {"john": johns_conversation, "jane": janes_conversation, "lead": lead_conversation}


def visible_ids(user):
    return set(Conversation.objects.visible_to(user).values_list("pk", flat=True))


def test_admin_sees_everything(world, admin_user):
    assert visible_ids(admin_user) == {c.pk for c in world.values()}


def test_staff_see_only_their_assigned(world, sarah, mike):
    assert visible_ids(sarah) == {world["john"].pk}
    assert visible_ids(mike) == {world["lead"].pk}


def test_customers_see_only_their_own(world, john, jane):
    assert visible_ids(john) == {world["john"].pk}
    assert visible_ids(jane) == {world["jane"].pk}


def test_anonymous_and_inactive_see_nothing(world, sarah):
    assert visible_ids(AnonymousUser()) == set()
    sarah.is_active = False
    assert visible_ids(sarah) == set()


def test_unassigned_is_visible_to_admins_only(world, sarah, mike, admin_user):
    jane_pk = world["jane"].pk
    assert jane_pk in visible_ids(admin_user)
    assert jane_pk not in visible_ids(sarah) | visible_ids(mike)


def test_get_for_answers_404_for_not_yours_exactly_like_missing(world, sarah, jane):
    with pytest.raises(Http404) as not_yours:
        conversation_get_for(sarah, world["jane"].pk)
    with pytest.raises(Http404) as missing:
        conversation_get_for(sarah, 10**9)
    assert str(not_yours.value) == str(missing.value)
    assert conversation_get_for(jane, world["jane"].pk) == world["jane"]


@pytest.mark.parametrize("bad_id", ["abc", "", None, -1, 0, 10**20, "99999999999999999999"])
def test_get_for_answers_404_for_nonsense_ids(world, admin_user, bad_id):
    with pytest.raises(Http404):
        conversation_get_for(admin_user, bad_id)


def test_tickets_follow_the_same_rule(world, admin_user, sarah, mike, john, jane):
    def ticket_conversations(user):
        return set(SupportTicket.objects.visible_to(user).values_list("conversation_id", flat=True))

    assert ticket_conversations(admin_user) == {c.pk for c in world.values()}
    assert ticket_conversations(sarah) == {world["john"].pk}
    assert ticket_conversations(mike) == {world["lead"].pk}
    assert ticket_conversations(john) == {world["john"].pk}
    assert ticket_conversations(jane) == {world["jane"].pk}


def test_reassignment_takes_access_away_at_once(world, admin_user, sarah, mike):
    conversation_assign(actor=admin_user, conversation=world["john"], assignee=mike)
    assert world["john"].pk not in visible_ids(sarah)
    with pytest.raises(Conversation.DoesNotExist):
        conversation_post_message(actor=sarah, conversation=world["john"], body="still mine?")


def test_staff_list_and_unread_counts_never_include_others(world, sarah):
    page = list(conversation_list_for(sarah))
    assert [c.pk for c in page] == [world["john"].pk]
    counts = unread_counts_for(sarah, page)
    assert counts == {world["john"].pk: 1}


def test_list_filters(world, admin_user, mike):
    assert {c.pk for c in conversation_list_for(admin_user, unassigned=True)} == {world["jane"].pk}
    assert {c.pk for c in conversation_list_for(admin_user, source="lead")} == {world["lead"].pk}
    assert {c.pk for c in conversation_list_for(admin_user, assigned_to=mike)} == {world["lead"].pk}
    assert list(conversation_list_for(admin_user, status="CLOSED")) == []
