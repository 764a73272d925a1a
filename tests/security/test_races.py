"""Issue 9 A12: races that used to answer wrongly, through the API.

Assigning to someone deactivated a moment ago: the API checked the assignee was an
active team member, then the service assigned the (stale) instance anyway. The service
now re-reads the assignee under a row lock, so the answer is 400 and nothing changes.
(The status-change race, 403 → 404, is proved at service level in
conversations/tests/test_services.py: the API's status change is admin-only, and an
admin never loses sight of a conversation.)
"""

import json
import threading
import time

import pytest
from django.db import connection, connections, transaction

from accounts.models import User
from accounts.services import user_deactivate
from conversations.models import Conversation
from conversations.services import conversation_post_message
from tests.concurrency import require_mysql, run_in_threads
from tests.personas import client_for
from tickets.models import SupportTicket

PATCH_URL = "/api/admin/conversations"


def patch(user, body):
    return client_for(user).patch(PATCH_URL, json.dumps(body), content_type="application/json")


def wait_until_a_connection_waits_for(table: str, timeout: float = 10.0) -> None:
    """Block until another connection to this test database is running a
    SELECT … FOR UPDATE on ``table``: it is waiting for the row lock we hold.
    (information_schema.PROCESSLIST lists our own user's connections without PROCESS.)"""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() "
                "AND DB = DATABASE() AND COMMAND = 'Query' AND INFO LIKE %s AND INFO LIKE %s",
                [f"%`{table}`%", "%FOR UPDATE%"],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"no connection started waiting for a row lock on {table}")


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
    require_mysql()
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
        wait_until_a_connection_waits_for("conversations_conversation")
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
