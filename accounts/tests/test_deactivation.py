"""Deactivate and reactivate from People (issue 11 part 5; SECURITY_CASES 7): the
person's sessions end at once, a team member's open conversations become unassigned, an
admin cannot deactivate themselves or the last active admin."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import user_deactivate, user_end_sessions, user_reactivate
from conversations.models import Status
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_set_status,
)
from tests.factories import AdminFactory, CustomerFactory
from tests.personas import PASSWORD, client_for

PEOPLE = reverse("console:people_list")


def deactivate_url(user):
    return reverse("console:people_deactivate", args=[user.pk])


def reactivate_url(user):
    return reverse("console:people_reactivate", args=[user.pk])


def signs_in(user) -> bool:
    response = Client().post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    return "_auth_user_id" in response.wsgi_request.session


def test_deactivate_from_people_signs_them_out_and_reactivate_lets_them_back(as_user, admin_user, john):
    johns = client_for(john)
    assert johns.get("/portal/chat/").status_code == 200
    admin = as_user(admin_user)

    response = admin.post(deactivate_url(john), follow=True)
    assert response.redirect_chain == [(PEOPLE, 302)]
    html = response.content.decode()
    assert "John Doe is deactivated and signed out everywhere." in html and "Deactivated" in html
    assert johns.get("/portal/chat/").status_code == 302  # at once, on the next request
    assert not signs_in(john)

    response = admin.post(reactivate_url(john), follow=True)
    assert "John Doe can sign in again." in response.content.decode()
    john.refresh_from_db()
    assert john.is_active and signs_in(john)


def test_the_people_page_offers_the_actions_with_a_confirmation(as_user, admin_user, john):
    html = as_user(admin_user).get(PEOPLE).content.decode()
    assert f'action="{deactivate_url(john)}" data-confirm="Deactivate John Doe?' in html
    assert f'action="{deactivate_url(admin_user)}"' not in html  # not on your own row


def test_an_admin_cannot_deactivate_themselves(as_user, admin_user):
    AdminFactory()  # not the last admin either: the rule is about oneself
    response = as_user(admin_user).post(deactivate_url(admin_user))
    assert response.status_code == 400 and "You cannot deactivate your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_the_last_active_admin_cannot_be_deactivated(admin_user):
    other = AdminFactory()
    user_deactivate(actor=other, user=admin_user)  # two active admins: allowed
    # Now `other` is the last active admin; a stale actor object (admin_user, signed in a
    # moment ago) cannot take it away, nor can anyone else.
    with pytest.raises(ValidationError, match="last active admin"):
        user_deactivate(actor=admin_user, user=other)
    assert User.objects.filter(role="admin", is_active=True).count() == 1


def test_only_admins_deactivate_or_reactivate(sarah, john):
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=sarah, user=john)
    with pytest.raises(PermissionDenied):
        user_reactivate(actor=sarah, user=john)


def test_a_missing_person_is_404(as_user, admin_user):
    assert as_user(admin_user).post(reverse("console:people_deactivate", args=[987654])).status_code == 404


def test_deactivating_twice_changes_nothing_the_second_time(admin_user, john):
    user_deactivate(actor=admin_user, user=john)
    assert user_deactivate(actor=admin_user, user=john).is_active is False


def test_a_team_members_open_conversations_become_unassigned_closed_ones_keep_theirs(world):
    admin, sarah = world["admin"], world["sarah"]
    johns, janes = world["johns"], world["janes"]
    closed, _ = conversation_get_or_create_for_customer(customer=CustomerFactory())
    conversation_assign(actor=admin, conversation=closed, assignee=sarah)
    conversation_set_status(actor=admin, conversation=closed, status=Status.CLOSED)
    conversation_set_status(actor=admin, conversation=johns, status=Status.PENDING)

    user_deactivate(actor=admin, user=sarah)

    johns.refresh_from_db(), janes.refresh_from_db(), closed.refresh_from_db()
    assert johns.assigned_to_id is None
    assert johns.ticket.assigned_to_id is None  # the ticket follows (conversation_assign)
    assert janes.assigned_to == world["mike"]  # someone else's stay theirs
    assert closed.assigned_to == sarah  # history
    # The console's "unassigned" filter shows it to the admins.
    html = client_for(admin).get("/admin/conversations/", {"assigned_to": "unassigned"}).content.decode()
    assert "John Doe" in html


def test_sessions_of_that_user_only_are_deleted(admin_user, john, jane):
    johns, janes = client_for(john), client_for(jane)
    anonymous = SessionStore()
    anonymous["cart"] = "x"
    anonymous.create()

    assert user_end_sessions(user=john) == 1
    assert not Session.objects.filter(session_key=johns.session.session_key).exists()
    assert Session.objects.filter(session_key=janes.session.session_key).exists()
    assert Session.objects.filter(session_key=anonymous.session_key).exists()


@pytest.mark.parametrize("others", [3, 300])
def test_ending_sessions_takes_the_same_queries_whatever_the_number_of_sessions(
        john, others, django_assert_num_queries):
    for _ in range(others):
        store = SessionStore()
        store["_auth_user_id"] = "999999"
        store.create()
    client_for(john)
    # 1 the live sessions' keys and data (one pass, streamed), 2 delete John's
    with django_assert_num_queries(2):
        assert user_end_sessions(user=john) == 1


def test_sessions_are_found_across_pages(settings, john, monkeypatch):
    """More live sessions than one page holds: John's are found on every page."""
    from accounts import services

    monkeypatch.setattr(services, "SESSION_SCAN_CHUNK", 3)
    johns = [client_for(john) for _ in range(4)]
    for _ in range(7):
        store = SessionStore()
        store["_auth_user_id"] = "999999"
        store.create()
    assert user_end_sessions(user=john) == 4
    assert not any(Session.objects.filter(session_key=c.session.session_key).exists() for c in johns)
    assert Session.objects.count() == 7
