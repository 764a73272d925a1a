"""SPEC §4.6: who sees which conversation, decided by visible_to alone."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from conversations.models import Conversation
from conversations.selectors import conversation_get_for, conversation_list_for, unread_counts_for
from conversations.services import conversation_assign, conversation_post_message
from tickets.models import SupportTicket
from tickets.selectors import ticket_list_for

pytestmark = pytest.mark.django_db


def visible_ids(user):
    return set(Conversation.objects.visible_to(user).values_list("pk", flat=True))


def conversations_of(world):
    return [world["johns"], world["janes"], world["alices"]]


def test_admin_sees_everything(world, admin_user):
    assert visible_ids(admin_user) == {c.pk for c in conversations_of(world)}


def test_staff_see_only_their_assigned(world, sarah, mike):
    assert visible_ids(sarah) == {world["johns"].pk}
    assert visible_ids(mike) == {world["janes"].pk}


def test_customers_see_only_their_own(world, john, jane):
    assert visible_ids(john) == {world["johns"].pk}
    assert visible_ids(jane) == {world["janes"].pk}


def test_anonymous_and_inactive_see_nothing(world, sarah):
    assert visible_ids(AnonymousUser()) == set()
    sarah.is_active = False
    assert visible_ids(sarah) == set()


def test_unassigned_is_visible_to_admins_only(world, sarah, mike, admin_user):
    alices_pk = world["alices"].pk
    assert alices_pk in visible_ids(admin_user)
    assert alices_pk not in visible_ids(sarah) | visible_ids(mike)


def test_get_for_answers_404_for_not_yours_exactly_like_missing(world, sarah, jane):
    with pytest.raises(Http404) as not_yours:
        conversation_get_for(sarah, world["janes"].pk)
    with pytest.raises(Http404) as missing:
        conversation_get_for(sarah, 10**9)
    assert str(not_yours.value) == str(missing.value)
    assert conversation_get_for(jane, world["janes"].pk) == world["janes"]


@pytest.mark.parametrize("bad_id", ["abc", "", None, -1, 0, 10**20, "99999999999999999999"])
def test_get_for_answers_404_for_nonsense_ids(world, admin_user, bad_id):
    with pytest.raises(Http404):
        conversation_get_for(admin_user, bad_id)


def test_tickets_follow_the_same_rule(world, admin_user, sarah, mike, john, jane):
    def ticket_conversations(user):
        return set(SupportTicket.objects.visible_to(user).values_list("conversation_id", flat=True))

    assert ticket_conversations(admin_user) == {c.pk for c in conversations_of(world)}
    assert ticket_conversations(sarah) == {world["johns"].pk}
    assert ticket_conversations(mike) == {world["janes"].pk}
    assert ticket_conversations(john) == {world["johns"].pk}
    assert ticket_conversations(jane) == {world["janes"].pk}


def test_reassignment_takes_access_away_at_once(world, admin_user, sarah, mike):
    conversation_assign(actor=admin_user, conversation=world["johns"], assignee=mike)
    assert world["johns"].pk not in visible_ids(sarah)
    with pytest.raises(Conversation.DoesNotExist):
        conversation_post_message(actor=sarah, conversation=world["johns"], body="still mine?")


def test_staff_list_and_unread_counts_never_include_others(world, sarah):
    page = list(conversation_list_for(sarah))
    assert [c.pk for c in page] == [world["johns"].pk]
    counts = unread_counts_for(sarah, page)
    assert counts == {world["johns"].pk: 1}


def test_list_filters(world, admin_user, mike):
    assert {c.pk for c in conversation_list_for(admin_user, unassigned=True)} == {world["alices"].pk}
    assert {c.pk for c in conversation_list_for(admin_user, source="lead")} == {world["alices"].pk}
    assert {c.pk for c in conversation_list_for(admin_user, assigned_to=mike)} == {world["janes"].pk}
    assert list(conversation_list_for(admin_user, status="CLOSED")) == []


def test_assigned_only_narrows_to_the_viewers_own_for_admins_too(world, admin_user, sarah):
    """The staff inbox's rule ("assigned to me"), an explicit argument of the selectors."""
    with pytest.raises(Http404):
        conversation_get_for(admin_user, world["johns"].pk, assigned_only=True)
    assert conversation_get_for(sarah, world["johns"].pk, assigned_only=True) == world["johns"]
    conversation_assign(actor=admin_user, conversation=world["alices"], assignee=admin_user)
    assert conversation_get_for(admin_user, world["alices"].pk, assigned_only=True) == world["alices"]
    assert {t.conversation_id for t in ticket_list_for(admin_user, assigned_only=True)} == {world["alices"].pk}
    assert {t.conversation_id for t in ticket_list_for(sarah, assigned_only=True)} == {world["johns"].pk}
    # It only ever narrows: a customer asking for "assigned to me" sees nothing more.
    assert list(ticket_list_for(world["john"], assigned_only=True)) == []
