"""conversation_bulk_apply (issue 13.2, SECURITY_CASES 41): each conversation through the
single-change services, one transaction each, an honest report."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from conversations.models import Conversation, Status
from conversations.services import (
    BULK_LIMIT,
    KEEP,
    conversation_assign,
    conversation_bulk_apply,
    conversation_set_status,
)
from tests.factories import CustomerFactory, StaffFactory


@pytest.fixture
def three(many_conversations):
    return many_conversations(3)


@pytest.fixture
def refusing_trigger():
    """refusing_trigger(pk): a real database refusal of that conversation's ticket status
    change, which comes after its assignment in the same transaction."""
    yield refuse_ticket_status_update
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS refuse")


def refuse_ticket_status_update(conversation_pk):
    table = "tickets_supportticket"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"CREATE TRIGGER refuse BEFORE UPDATE OF status ON {table} "
                           f"WHEN NEW.conversation_id = {conversation_pk} BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            cursor.execute(f"CREATE TRIGGER refuse BEFORE UPDATE ON {table} FOR EACH ROW "
                           f"IF NEW.conversation_id = {conversation_pk} AND NEW.status <> OLD.status THEN "
                           "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF")


def state(conversation):
    conversation.refresh_from_db()
    ticket = getattr(conversation, "ticket", None)
    return conversation.assigned_to_id, conversation.status, ticket and ticket.assigned_to_id, ticket and ticket.status


@pytest.mark.django_db
class TestBulkApply:
    def test_assigns_each_and_the_tickets_follow(self, admin_user, mike, three):
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=mike)
        assert result.changed == [c.pk for c in three] and not result.unchanged and not result.failed
        for conversation in three:
            assert state(conversation) == (mike.pk, Status.OPEN, mike.pk, Status.OPEN)

    def test_assign_and_status_together_and_already_so(self, admin_user, mike, three):
        conversation_assign(actor=admin_user, conversation=three[0], assignee=mike)
        conversation_set_status(actor=admin_user, conversation=three[0], status=Status.PENDING)
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=mike,
                                         status=Status.PENDING)
        assert result.unchanged == [three[0].pk] and result.changed == [three[1].pk, three[2].pk]
        for conversation in three:
            assert state(conversation) == (mike.pk, Status.PENDING, mike.pk, Status.PENDING)
        assert result.summary() == "2 changed, 1 already so."

    def test_unassign(self, admin_user, sarah, many_conversations):
        conversations = many_conversations(2, sarah)
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in conversations], assignee=None)
        assert len(result.changed) == 2
        assert all(state(c)[0] is None and state(c)[2] is None for c in conversations)

    def test_missing_ids_are_reported_not_fatal(self, admin_user, mike, three):
        result = conversation_bulk_apply(actor=admin_user, ids=[three[0].pk, 99999999], assignee=mike)
        assert result.changed == [three[0].pk] and result.failed == [(99999999, "no longer exists")]
        assert "1 could not: #99999999 no longer exists" in result.summary()

    def test_changed_after_the_admin_looked_is_refused_and_untouched(self, admin_user, sarah, mike, three):
        looked = timezone.now()
        conversation_assign(actor=admin_user, conversation=three[1], assignee=sarah)  # someone else, meanwhile
        Conversation.objects.filter(pk=three[1].pk).update(updated_at=looked + timedelta(seconds=1))
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], status=Status.CLOSED,
                                         unchanged_since=looked)
        assert result.changed == [three[0].pk, three[2].pk]
        assert result.failed == [(three[1].pk, "changed after you looked; check it and try again")]
        assert state(three[1]) == (sarah.pk, Status.OPEN, sarah.pk, Status.OPEN)

    def test_no_longer_matching_the_filters_is_refused(self, admin_user, mike, three):
        conversation_set_status(actor=admin_user, conversation=three[0], status=Status.CLOSED)
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=mike,
                                         within=Conversation.objects.filter(status=Status.OPEN))
        assert result.failed == [(three[0].pk, "no longer matches the filters")]
        assert state(three[0])[0] is None

    @pytest.mark.django_db(transaction=True)  # CREATE TRIGGER commits on MariaDB
    def test_never_half_of_one(self, admin_user, mike, three, refusing_trigger):
        """The assignment and the status of one conversation commit together: when the
        database refuses the second step (a trigger here, a deadlock in life), the first
        is rolled back too, and the others still go through and are reported."""
        refusing_trigger(three[1].pk)
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=mike,
                                         status=Status.RESOLVED)
        assert result.failed == [(three[1].pk, "could not be saved just now (database busy); try it again")]
        assert state(three[1]) == (None, Status.OPEN, None, Status.OPEN)
        assert state(three[0]) == state(three[2]) == (mike.pk, Status.RESOLVED, mike.pk, Status.RESOLVED)

    @pytest.mark.parametrize("target", ["customer", "inactive"])
    def test_bad_assignee_changes_nothing(self, admin_user, three, target):
        assignee = CustomerFactory() if target == "customer" else StaffFactory(is_active=False)
        with pytest.raises(ValidationError):
            conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=assignee)
        assert all(state(c)[0] is None for c in three)

    def test_unknown_status_nothing_to_do_and_empty(self, admin_user, three):
        ids = [c.pk for c in three]
        for kwargs in ({"status": "DONE"}, {}, {"status": None, "assignee": KEEP}):
            with pytest.raises(ValidationError):
                conversation_bulk_apply(actor=admin_user, ids=ids, **kwargs)
        with pytest.raises(ValidationError):
            conversation_bulk_apply(actor=admin_user, ids=[], status=Status.OPEN)

    def test_more_than_the_limit_is_refused_before_anything(self, admin_user, three):
        with pytest.raises(ValidationError, match="At most 1,000"):
            conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three] + list(range(10**6, 10**6 + BULK_LIMIT)),
                                    status=Status.CLOSED)
        assert all(state(c)[1] == Status.OPEN for c in three)

    def test_what_the_time_limit_leaves_is_reported_not_reached(self, admin_user, mike, three, settings):
        settings.BULK_TIME_LIMIT_SECONDS = 1e-9  # past before the second conversation
        result = conversation_bulk_apply(actor=admin_user, ids=[c.pk for c in three], assignee=mike)
        assert len(result.changed) <= 1
        reached = set(result.changed)
        assert result.failed == [(c.pk, "not reached within the time limit; apply it again")
                                 for c in three if c.pk not in reached]
        assert [state(c)[0] == mike.pk for c in three] == [c.pk in reached for c in three]

    def test_only_admins(self, sarah, three):
        with pytest.raises(PermissionDenied):
            conversation_bulk_apply(actor=sarah, ids=[c.pk for c in three], status=Status.CLOSED)
