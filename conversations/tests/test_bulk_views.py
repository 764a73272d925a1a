"""The admin list's bulk bar (issue 13.2): confirm, apply, the report, the battery."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import Conversation, Status
from conversations.services import BULK_LIMIT, conversation_set_status
from tests.factories import CustomerFactory, StaffFactory

CONFIRM = reverse("console:conversation_bulk_confirm")
APPLY = reverse("console:conversation_bulk")
LIST = reverse("console:conversation_list")


def assignees(conversations):
    rows = Conversation.objects.filter(pk__in=[c.pk for c in conversations]).select_related("ticket")
    return {c.pk: (c.assigned_to_id, c.ticket.assigned_to_id, c.status, c.ticket.status) for c in rows}


@pytest.fixture
def five(many_conversations):
    return many_conversations(5)


@pytest.mark.django_db
class TestConfirm:
    def test_says_what_and_how_many_and_changes_nothing(self, as_user, admin_user, mike, five):
        before = assignees(five)
        response = as_user(admin_user).post(CONFIRM, {"ids": [c.pk for c in five[:3]], "assignee": mike.pk,
                                                      "status": "PENDING"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Assign to Mike Chen and set the status to Pending: 3 conversations?" in html
        assert html.count('<input type="hidden" name="ids"') == 3 and "Apply to 3" in html
        assert assignees(five) == before

    def test_htmx_gets_the_confirmation_alone(self, as_user, admin_user, five):
        response = as_user(admin_user).post(CONFIRM, {"ids": [five[0].pk], "status": "CLOSED"},
                                            HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert html.strip().startswith("<section") and "<html" not in html
        assert "Set the status to Closed: 1 conversation?" in html

    def test_all_matching_counts_now_and_notes_a_moved_count(self, as_user, admin_user, five):
        conversation_set_status(actor=admin_user, conversation=five[0], status=Status.CLOSED)
        html = as_user(admin_user).post(CONFIRM, {"matching": "on", "expected_count": 5, "filter-status": "OPEN",
                                                  "status": "PENDING"}).content.decode()
        assert "Set the status to Pending: 4 conversations?" in html
        assert "The filters now match 4 conversations, not the 5 you were shown" in html
        assert '<input type="hidden" name="expected_count" value="4">' in html
        assert '<input type="hidden" name="filter-status" value="OPEN">' in html

    @pytest.mark.parametrize("data, reason", [
        ({"status": "PENDING"}, "Select at least one conversation."),
        ({"ids": ["1"]}, "Choose an assignee or a status to apply."),
        ({"ids": ["abc"], "status": "PENDING"}, "Not a conversation id."),
        ({"ids": ["1"], "status": "DONE"}, "Select a valid choice"),
        ({"ids": ["1"], "assignee": "customer"}, "Select a valid choice"),
        ({"ids": ["1"], "assignee": "inactive"}, "Select a valid choice"),
        ({"ids": ["1"], "assignee": "999999"}, "Select a valid choice"),
        ({"matching": "on", "status": "PENDING"}, "expected_count"),
        ({"matching": "on", "expected_count": "1", "filter-source": "nope", "status": "OPEN"}, "Select a valid choice"),
        # More ids than the limit: Django refuses more than 1,000 form fields before the
        # form sees them (the service's own limit is tested in test_bulk_service.py).
        ({"ids": [str(n) for n in range(1, BULK_LIMIT + 2)], "status": "OPEN"}, "Bad request"),
    ])
    def test_bad_input_is_400_with_the_reason(self, as_user, admin_user, five, data, reason):
        data = dict(data)
        if data.get("assignee") == "customer":
            data["assignee"] = CustomerFactory().pk
        if data.get("assignee") == "inactive":
            data["assignee"] = StaffFactory(is_active=False).pk
        before = assignees(five)
        for url in (CONFIRM, APPLY):
            response = as_user(admin_user).post(url, data)
            assert response.status_code == 400 and reason in response.content.decode()
        assert assignees(five) == before

    def test_more_matching_than_the_limit_is_400(self, as_user, admin_user, five, monkeypatch):
        monkeypatch.setattr("conversations.views.bulk.BULK_LIMIT", 3)
        response = as_user(admin_user).post(CONFIRM, {"matching": "on", "expected_count": 5, "status": "OPEN"})
        assert response.status_code == 400 and b"match more than 3 conversations" in response.content


@pytest.mark.django_db
class TestApply:
    def test_assigns_the_ticked_rows_and_reports(self, as_user, admin_user, mike, five):
        client = as_user(admin_user)
        response = client.post(APPLY, {"ids": [c.pk for c in five[:3]], "assignee": mike.pk,
                                       "filter-status": "OPEN", "as_of": timezone.now().isoformat()})
        assert response.status_code == 302 and response["Location"] == LIST + "?status=OPEN"
        after = assignees(five)
        assert [after[c.pk][:2] for c in five] == [(mike.pk, mike.pk)] * 3 + [(None, None)] * 2
        assert [str(m) for m in get_messages(response.wsgi_request)] == ["Assign to Mike Chen: 3 changed."]
        page = client.get(response["Location"]).content.decode()
        assert "Assign to Mike Chen: 3 changed." in page

    def test_reports_the_ones_changed_meanwhile_and_leaves_them(self, as_user, admin_user, sarah, five):
        looked = timezone.now()
        Conversation.objects.filter(pk=five[1].pk).update(updated_at=looked + timedelta(seconds=5))
        response = as_user(admin_user).post(APPLY, {"ids": [c.pk for c in five], "status": "CLOSED",
                                                    "as_of": looked.isoformat()})
        message = str(next(iter(get_messages(response.wsgi_request))))
        assert message == (f"Set the status to Closed: 4 changed. 1 could not: #{five[1].pk} changed after you "
                           "looked; check it and try again.")
        assert assignees(five)[five[1].pk][2:] == (Status.OPEN, Status.OPEN)

    def test_all_matching_with_the_confirmed_count(self, as_user, admin_user, sarah, five, many_conversations):
        sarahs = many_conversations(2, sarah)
        response = as_user(admin_user).post(APPLY, {"matching": "on", "expected_count": 5,
                                                    "filter-assigned_to": "unassigned", "assignee": sarah.pk})
        assert response.status_code == 302 and response["Location"] == LIST + "?assigned_to=unassigned"
        assert all(value[:2] == (sarah.pk, sarah.pk) for value in assignees(five + sarahs).values())

    def test_all_matching_with_a_count_that_moved_is_409_and_changes_nothing(self, as_user, admin_user, sarah,
                                                                                five):
        conversation_set_status(actor=admin_user, conversation=five[0], status=Status.CLOSED)
        response = as_user(admin_user).post(APPLY, {"matching": "on", "expected_count": 5, "filter-status": "OPEN",
                                                    "assignee": sarah.pk})
        assert response.status_code == 409
        assert "The filters now match 4 conversations" in response.content.decode()
        assert all(value[0] is None for value in assignees(five).values())

    def test_missing_ids_are_reported(self, as_user, admin_user, five):
        response = as_user(admin_user).post(APPLY, {"ids": [five[0].pk, 98765432], "status": "RESOLVED"})
        assert [str(m) for m in get_messages(response.wsgi_request)] == [
            "Set the status to Resolved: 1 changed. 1 could not: #98765432 no longer exists."]


@pytest.mark.django_db
class TestBattery:
    @pytest.mark.parametrize("url", [CONFIRM, APPLY])
    def test_needs_login(self, client, five, url):
        response = client.post(url, {"ids": [five[0].pk], "status": "CLOSED"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    @pytest.mark.parametrize("url", [CONFIRM, APPLY])
    @pytest.mark.parametrize("persona", ["sarah", "john"])
    def test_wrong_role_403_and_nothing_changes(self, request, as_user, sarah, five, url, persona):
        response = as_user(request.getfixturevalue(persona)).post(url, {"ids": [c.pk for c in five], "assignee": sarah.pk})
        assert response.status_code == 403
        assert all(value[0] is None for value in assignees(five).values())

    @pytest.mark.parametrize("url", [CONFIRM, APPLY])
    def test_wrong_method(self, as_user, admin_user, url):
        assert as_user(admin_user).get(url).status_code == 405

    def test_csrf_required(self, admin_user, sarah, five):
        """SECURITY_CASES 16: without the token, nothing changes."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(admin_user)
        response = client.post(APPLY, {"ids": [c.pk for c in five], "assignee": sarah.pk})
        assert response.status_code == 403
        assert all(value[0] is None for value in assignees(five).values())


@pytest.mark.django_db
def test_the_list_has_the_bar_the_checkboxes_and_all_matching(as_user, admin_user, many_conversations):
    conversations = many_conversations(27)
    html = as_user(admin_user).get(LIST, {"status": "OPEN"}).content.decode()
    newest = conversations[-1]
    assert (f'<input type="checkbox" name="ids" value="{newest.pk}" id="pick-{newest.pk}" form="bulk" data-bulk-row>'
            f'<label class="visually-hidden" for="pick-{newest.pk}">Select ') in html
    assert html.count("data-bulk-row") == 25
    assert '<label for="pick-matching">All 27 matching the filters</label>' in html
    assert '<input type="hidden" name="expected_count" value="27" form="bulk">' in html
    assert '<input type="hidden" name="filter-status" value="OPEN">' in html
    assert '<label for="bulk-assignee">Assign selected to</label>' in html
    assert '<label for="bulk-status">Set status</label>' in html
