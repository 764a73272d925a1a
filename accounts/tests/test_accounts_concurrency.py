"""Races on MariaDB with real threads: deactivation against deactivation, against an
assignment, and one invitation used by two tabs at once."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role, User
from accounts.services import user_deactivate, user_invitation_accept, user_invite
from conversations.models import Conversation
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)
from tests.concurrency import run_in_threads
from tests.factories import AdminFactory, CustomerFactory, StaffFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]


def test_two_admins_deactivating_each_other_at_once_leave_one_admin():
    for round in range(5):
        admins = [AdminFactory(email=f"admin{round}-{i}@example.test") for i in range(2)]
        User.objects.filter(role=Role.ADMIN).exclude(pk__in=[a.pk for a in admins]).delete()
        _, errors = run_in_threads(lambda i, admins=admins: user_deactivate(actor=admins[i], user=admins[1 - i]), 2)
        assert sorted(type(e).__name__ for e in errors) == ["NoneType", "ValidationError"]
        assert User.objects.filter(role=Role.ADMIN, is_active=True).count() == 1


def test_an_assignment_racing_a_deactivation_never_leaves_work_with_an_inactive_person():
    admin = AdminFactory()
    for round in range(5):
        staff = StaffFactory(email=f"leaving{round}@example.test")
        customer = CustomerFactory()
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        conversation_post_message(actor=customer, conversation=conversation, body="Anyone there?")  # opens a ticket

        def act(i, staff=staff, conversation=conversation):
            if i == 0:
                return user_deactivate(actor=admin, user=staff)
            return conversation_assign(actor=admin, conversation=Conversation.objects.get(pk=conversation.pk),
                                       assignee=staff)

        _, errors = run_in_threads(act, 2)
        assert errors[0] is None
        assert errors[1] is None or isinstance(errors[1], ValidationError)  # assigned after: refused
        conversation.refresh_from_db()
        assert conversation.assigned_to_id is None
        assert conversation.ticket.assigned_to_id is None


def test_one_invitation_used_in_two_tabs_at_once_sets_one_password():
    admin = AdminFactory()
    nina = user_invite(actor=admin, email="nina@example.test", name="Nina", role=Role.STAFF)
    passwords = ["first-long-passphrase-1", "second-long-passphrase-2"]
    _, errors = run_in_threads(lambda i: user_invitation_accept(user=User.objects.get(pk=nina.pk),
                                                                password=passwords[i]), 2)
    assert sorted(type(e).__name__ for e in errors) == ["NoneType", "ValidationError"]
    nina.refresh_from_db()
    winner = errors.index(None)
    assert nina.check_password(passwords[winner]) and not nina.check_password(passwords[1 - winner])
