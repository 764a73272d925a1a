"""PATCH /api/admin/conversations/bulk (issue 13.2; SECURITY_CASES 9, 10, 16, 41)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations.models import Conversation
from tests.api.client import api_client, call
from tests.factories import CustomerFactory, StaffFactory

BULK = "/api/admin/conversations/bulk"


def state(world):
    rows = Conversation.objects.select_related("ticket").order_by("pk")
    return {c.pk: (c.assigned_to_id, c.ticket.assigned_to_id, c.status, c.ticket.status) for c in rows}


def patch(world, body, user="admin", **extra):
    return call(api_client(world[user] if user else None), "PATCH", BULK, body, **extra)


def ids(world, *names):
    return [world[name].pk for name in names]


@pytest.mark.django_db
class TestBulk:
    def test_assigns_by_ids_and_the_tickets_follow(self, world):
        response = patch(world, {"ids": ids(world, "johns", "janes", "alices"), "assigned_to": world["mike"].pk})
        assert response.status_code == 200
        assert response.json() == {"changed": ids(world, "johns", "alices"), "unchanged": ids(world, "janes"),
                                   "failed": []}
        mike = world["mike"].pk
        assert all(value[:2] == (mike, mike) for value in state(world).values())

    def test_status_and_unassign_together(self, world):
        response = patch(world, {"ids": ids(world, "johns", "janes"), "assigned_to": None, "status": "PENDING"})
        assert response.json()["changed"] == ids(world, "johns", "janes")
        after = state(world)
        assert after[world["johns"].pk] == after[world["janes"].pk] == (None, None, "PENDING", "PENDING")

    def test_by_filters_with_the_expected_count(self, world):
        body = {"filters": {"source": "customer"}, "expected_count": 2, "status": "RESOLVED"}
        response = patch(world, body)
        assert sorted(response.json()["changed"]) == sorted(ids(world, "johns", "janes"))
        assert state(world)[world["alices"].pk][2:] == ("OPEN", "OPEN")

    def test_by_filters_with_another_count_is_409_and_changes_nothing(self, world):
        before = state(world)
        response = patch(world, {"filters": {"status": "OPEN"}, "expected_count": 2, "status": "CLOSED"})
        assert response.status_code == 409 and response.json()["count"] == 3
        assert "Nothing changed" in response.json()["detail"]
        assert state(world) == before

    def test_missing_and_changed_meanwhile_are_reported(self, world):
        looked = timezone.now()
        Conversation.objects.filter(pk=world["janes"].pk).update(updated_at=looked + timedelta(seconds=5))
        response = patch(world, {"ids": [*ids(world, "johns", "janes"), 987654321], "status": "CLOSED",
                                 "unchanged_since": looked.isoformat()})
        assert response.json() == {
            "changed": ids(world, "johns"), "unchanged": [],
            "failed": [{"id": world["janes"].pk, "reason": "changed after you looked; check it and try again"},
                       {"id": 987654321, "reason": "no longer exists"}],
        }
        assert state(world)[world["janes"].pk][2:] == ("OPEN", "OPEN")

    def test_extra_fields_are_ignored(self, world):
        """SECURITY_CASES 9: only the assignee and the status change."""
        johns = world["johns"]
        response = patch(world, {"ids": [johns.pk], "status": "PENDING", "customer_id": world["jane"].pk,
                                 "created_at": "2000-01-01T00:00:00Z", "role": "admin", "last_seq": 99})
        assert response.status_code == 200
        johns.refresh_from_db()
        assert (johns.customer_id, johns.last_seq, johns.status) == (world["john"].pk, 2, "PENDING")

    @pytest.mark.parametrize("body, reason", [
        ({"ids": ["johns"], "assigned_to": "customer"}, "active team member"),
        ({"ids": ["johns"], "assigned_to": "inactive"}, "active team member"),
        ({"ids": ["johns"], "assigned_to": 987654321}, "active team member"),
        ({"ids": ["johns"], "status": "DONE"}, "status"),
        ({"ids": ["johns"]}, "Choose an assignee or a status"),
        ({"ids": [], "status": "OPEN"}, "Select at least one"),
        ({"status": "OPEN"}, "either ids or filters"),
        ({"ids": ["johns"], "filters": {}, "expected_count": 1, "status": "OPEN"}, "either ids or filters"),
        ({"filters": {"status": "OPEN"}, "status": "CLOSED"}, "expected_count"),
        ({"filters": {"assigned_to": "nobody"}, "expected_count": 1, "status": "CLOSED"}, "assigned_to"),
        ({"ids": [0], "status": "OPEN"}, "ids"),
        ({"ids": [10**20], "status": "OPEN"}, "ids"),
        ({"ids": ["1"], "status": "OPEN"}, "ids"),
        ({"ids": list(range(1, 1002)), "status": "OPEN"}, "ids"),
    ])
    def test_bad_input_is_400_and_nothing_changes(self, world, body, reason):
        """SECURITY_CASES 10 and 30."""
        targets = {"customer": lambda: CustomerFactory().pk, "inactive": lambda: StaffFactory(is_active=False).pk}
        body = dict(body)
        if body.get("assigned_to") in targets:
            body["assigned_to"] = targets[body["assigned_to"]]()
        if body.get("ids") == ["johns"]:
            body["ids"] = ids(world, "johns")
        before = state(world)
        response = patch(world, body)
        assert response.status_code == 400 and reason in response.json()["detail"]
        assert state(world) == before

    @pytest.mark.parametrize("user, status", [(None, 401), ("sarah", 403), ("john", 403)])
    def test_only_admins(self, world, user, status):
        before = state(world)
        response = patch(world, {"ids": ids(world, "johns", "janes"), "status": "CLOSED"}, user=user)
        assert response.status_code == status and "detail" in response.json()
        assert state(world) == before

    def test_csrf_required(self, world):
        """SECURITY_CASES 16."""
        before = state(world)
        response = call(api_client(world["admin"], csrf=True), "PATCH", BULK,
                        {"ids": ids(world, "johns"), "status": "CLOSED"}, csrf_header=False)
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]
        assert state(world) == before

    @pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
    def test_wrong_method_405(self, world, method):
        assert call(api_client(world["admin"]), method, BULK, {}).status_code == 405
