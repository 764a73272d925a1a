"""The Assignment page, the capacity and mode actions, the availability switch, and the
records in a conversation's panel (issue 14). Who may call them: tests/test_access_matrix.py."""

import pytest
from django.urls import reverse

from accounts.models import User
from conversations.assignment import assignment_policy
from conversations.models import AssignmentMode, AssignmentRecord
from conversations.services import conversation_post_message
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_page_shows_mode_team_loads_and_capacities(as_user, admin_user, sarah, mike):
    User.objects.filter(pk=sarah.pk).update(capacity=7, available=True)
    response = as_user(admin_user).get(reverse("console:assignment"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="off" selected' in html
    assert f'id="capacity-{sarah.pk}"' in html and 'value="7"' in html
    assert "Available" in html and "Away" in html
    assert f'id="capacity-{mike.pk}"' in html


@pytest.mark.parametrize("members", [3, 30])
def test_the_page_costs_the_same_whatever_the_team_size(as_user, admin_user, members, django_assert_num_queries):
    StaffFactory.create_batch(members)
    client = as_user(admin_user)
    client.get(reverse("console:assignment"))  # creates the policy row on first need
    # 1 session, 2 user (the admin), 3 policy, 4 team, 5 loads (one grouped count)
    with django_assert_num_queries(5):
        assert client.get(reverse("console:assignment")).status_code == 200


def test_an_admin_sets_the_mode(as_user, admin_user):
    response = as_user(admin_user).post(reverse("console:assignment_mode"), {"mode": "least_loaded"})
    assert response.status_code == 302 and response["Location"] == reverse("console:assignment")
    assert assignment_policy().mode == AssignmentMode.LEAST_LOADED


def test_a_bad_mode_is_400_with_the_reason_and_changes_nothing(as_user, admin_user):
    response = as_user(admin_user).post(reverse("console:assignment_mode"), {"mode": "fastest"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    assert assignment_policy().mode == AssignmentMode.OFF


def test_an_admin_sets_a_capacity(as_user, admin_user, sarah):
    response = as_user(admin_user).post(reverse("console:assignment_capacity", args=[sarah.pk]), {"capacity": 3})
    assert response.status_code == 302
    sarah.refresh_from_db()
    assert sarah.capacity == 3


@pytest.mark.parametrize("bad", ["0", "-2", "1001", "many", ""])
def test_a_bad_capacity_is_400_and_changes_nothing(as_user, admin_user, sarah, bad):
    response = as_user(admin_user).post(reverse("console:assignment_capacity", args=[sarah.pk]), {"capacity": bad})
    assert response.status_code == 400
    sarah.refresh_from_db()
    assert sarah.capacity == 10


def test_the_switch_turns_availability_on_and_off_and_returns_to_the_page(as_user, sarah):
    client = as_user(sarah)
    back = reverse("staff:ticket_list")
    response = client.post(reverse("staff:availability"), {"available": "on", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    sarah.refresh_from_db()
    assert sarah.available
    page = client.get(back).content.decode()
    assert 'aria-checked="true"' in page and 'name="available" value="off"' in page
    client.post(reverse("staff:availability"), {"available": "off"})
    sarah.refresh_from_db()
    assert not sarah.available


def test_the_switch_never_redirects_off_site(as_user, sarah):
    response = as_user(sarah).post(reverse("staff:availability"), {"available": "on", "next": "https://evil.test/"})
    assert response["Location"] == reverse("staff:conversation_list")


def test_a_bad_switch_value_is_400_and_changes_nothing(as_user, sarah):
    response = as_user(sarah).post(reverse("staff:availability"), {"available": "yes please"})
    assert response.status_code == 400
    sarah.refresh_from_db()
    assert not sarah.available


def test_an_automatic_assignment_shows_in_the_conversation(as_user, admin_user, sarah, john, johns_conversation,
                                                           django_capture_on_commit_callbacks):
    from conversations.models import Conversation

    Conversation.objects.filter(pk=johns_conversation.pk).update(assigned_to=None)
    User.objects.filter(pk=sarah.pk).update(available=True)
    as_user(admin_user).post(reverse("console:assignment_mode"), {"mode": "round_robin"})
    with django_capture_on_commit_callbacks(execute=True):
        conversation_post_message(actor=john, conversation=johns_conversation, body="Anyone there?")
    record = AssignmentRecord.objects.get()
    assert record.assignee == sarah
    for client, url in ((as_user(admin_user), reverse("console:conversation_detail", args=[johns_conversation.pk])),
                        (as_user(sarah), reverse("staff:conversation_detail", args=[johns_conversation.pk]))):
        html = client.get(url).content.decode()
        assert f"Assigned automatically to {sarah.display_name} by round-robin" in html
