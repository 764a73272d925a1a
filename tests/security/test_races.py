"""Issue 9 A12: races that used to answer wrongly, through the API and the HTML portals.

Assigning to someone deactivated a moment ago: the API checked the assignee was an
active team member, then the service assigned the (stale) instance anyway. The service
now re-reads the assignee under a row lock, so the answer is 400 and nothing changes.
A staff member's status change that loses a race with a reassignment: the view read
the conversation as theirs, then the service re-reads it under the lock through the
visibility rule and finds it gone, which answers 404 ("not yours"), not 403. (The
API's status change is admin-only, and an admin never loses sight of a conversation.)
"""

import json
import threading

import pytest
from django.db import connections, transaction

from accounts.models import User
from accounts.services import user_deactivate
from conversations.models import Conversation
from conversations.services import conversation_post_message
from tests.concurrency import run_in_threads, wait_until_blocked_on_row_lock
from tests.personas import client_for
from tickets.models import SupportTicket

PATCH_URL = "/api/admin/conversations"


def patch(user, body):
    return client_for(user).patch(PATCH_URL, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_patch_with_a_deactivated_assignee_is_400_json_and_changes_nothing(admin_user, sarah, john, johns_conversation):
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    user_deactivate(actor=admin_user, user=sarah)

    response = patch(admin_user, {"conversation_id": johns_conversation.pk, "assigned_to": sarah.pk})

    assert response.status_code == 400
    assert "active team member" in response.json()["detail"]
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None
    assert SupportTicket.objects.get().assigned_to is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.mariadb
def test_patch_assigning_someone_deactivated_while_it_waited_is_400_and_changes_nothing(
    admin_user, sarah, john, johns_conversation
):
    """The PATCH reads Sarah as active, then waits for the conversation's row lock (held
    here); meanwhile Sarah is deactivated. Before the fix it then assigned her anyway (200)."""
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    holding = threading.Event()
    release = threading.Event()

    def hold_the_conversation_row():
        try:
            with transaction.atomic():
                Conversation.objects.select_for_update().get(pk=johns_conversation.pk)
                holding.set()
                release.wait(20)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_conversation_row)
    holder.start()
    try:
        assert holding.wait(10)
        # run_in_threads in a thread of its own: it reports the request's exceptions and
        # closes its connection, while this thread deactivates Sarah.
        answers = []
        request = threading.Thread(target=lambda: answers.append(run_in_threads(
            lambda i: patch(admin_user, {"conversation_id": johns_conversation.pk, "assigned_to": sarah.pk}), 1
        )))
        request.start()
        wait_until_blocked_on_row_lock(table="conversations_conversation")
        user_deactivate(actor=admin_user, user=User.objects.get(pk=sarah.pk))
    finally:
        release.set()
        holder.join(20)
    request.join(30)

    ((response,), (error,)), = answers
    assert error is None
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "active team member" in response.json()["detail"]
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None
    assert SupportTicket.objects.get().assigned_to is None


def _hold_the_conversation_row(conversation, holding, release, then=None):
    """A thread's body: lock the conversation's row, say so, wait, run ``then`` inside the
    same transaction (a change the waiting request must see), and commit."""
    try:
        with transaction.atomic():
            Conversation.objects.select_for_update().get(pk=conversation.pk)
            holding.set()
            release.wait(20)
            if then is not None:
                then()
    finally:
        connections.close_all()


def _race(conversation, request, *, meanwhile=None, then=None):
    """Run ``request()`` while the conversation's row is locked; once it waits for the
    lock, run ``meanwhile()`` here and ``then()`` in the lock holder's transaction."""
    holding, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_the_conversation_row, args=(conversation, holding, release, then))
    holder.start()
    answers = []
    try:
        assert holding.wait(10)
        requester = threading.Thread(target=lambda: answers.append(run_in_threads(lambda i: request(), 1)))
        requester.start()
        wait_until_blocked_on_row_lock(table="conversations_conversation")
        if meanwhile is not None:
            meanwhile()
    finally:
        release.set()
        holder.join(20)
    requester.join(30)
    ((response,), (error,)), = answers
    assert error is None, error
    return response


@pytest.mark.django_db(transaction=True)
@pytest.mark.mariadb
def test_a_staff_status_change_losing_a_race_with_a_reassignment_is_404_and_changes_nothing(
    admin_user, sarah, mike, john, johns_conversation
):
    from conversations.services import conversation_assign

    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    url = f"/staff/conversations/{johns_conversation.pk}/status/"

    response = _race(
        johns_conversation,
        lambda: client_for(sarah).post(url, {"status": "CLOSED"}, HTTP_HX_REQUEST="true"),
        then=lambda: conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=mike),
    )

    assert response.status_code == 404
    johns_conversation.refresh_from_db()
    assert (johns_conversation.assigned_to_id, johns_conversation.status) == (mike.pk, "OPEN")


@pytest.mark.django_db(transaction=True)
@pytest.mark.mariadb
def test_an_html_assignment_to_someone_deactivated_while_it_waited_is_400_with_the_reason(
    admin_user, sarah, john, johns_conversation
):
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    url = f"/admin/conversations/{johns_conversation.pk}/assign/"

    response = _race(
        johns_conversation,
        lambda: client_for(admin_user).post(url, {"assigned_to": sarah.pk}, HTTP_HX_REQUEST="true"),
        meanwhile=lambda: user_deactivate(actor=admin_user, user=User.objects.get(pk=sarah.pk)),
    )

    assert response.status_code == 400
    assert "active team member" in response.content.decode()
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None
    assert SupportTicket.objects.get().assigned_to is None
