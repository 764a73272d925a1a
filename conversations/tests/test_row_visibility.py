"""conversation_row_visible_to (the live feed's judgement on a row it just read) says
exactly what Conversation.objects.visible_to says, for every persona and conversation of
the standard world, inactive people included, and again after a reassignment."""

import pytest
from django.contrib.auth.models import AnonymousUser

from conversations.models import Conversation, conversation_row_visible_to
from conversations.services import conversation_assign
from live.feed import FIELDS, ChangedRow

pytestmark = pytest.mark.django_db

PEOPLE = ("admin", "sarah", "mike", "john", "jane", "anonymous")


def rows():
    """The rows as the feed reads them: values only, no model instances."""
    return [ChangedRow(*values) for values in Conversation.objects.values_list(*FIELDS)]


def assert_agreement(world):
    checked = 0
    for name in PEOPLE:
        user = world[name] or AnonymousUser()
        if name != "anonymous":
            user.refresh_from_db()
        visible = set(Conversation.objects.visible_to(user).values_list("pk", flat=True))
        for row in rows():
            assert conversation_row_visible_to(user, row) == (row.id in visible), (name, row)
            checked += 1
    assert checked == len(PEOPLE) * 3


def test_the_row_predicate_agrees_with_visible_to_for_every_persona(world):
    assert_agreement(world)


def test_it_agrees_after_a_reassignment(world):
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
    conversation_assign(actor=world["admin"], conversation=world["alices"], assignee=world["sarah"])
    assert_agreement(world)
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=None)
    assert_agreement(world)


@pytest.mark.parametrize("name", ["admin", "sarah", "john"])
def test_an_inactive_person_sees_no_row(world, name):
    world[name].is_active = False
    world[name].save(update_fields=["is_active"])
    assert_agreement(world)
    assert not any(conversation_row_visible_to(world[name], row) for row in rows())
