"""The data admin shows the notification rows (sent, skipped and why, failed) and
never writes them: they change only through notifications.services."""

import pytest

from notifications.models import Kind, Notification, State
from tests.personas import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def row(world):
    return Notification.objects.create(recipient=world["sarah"], conversation=world["johns"],
                                       kind=Kind.PARTICIPANT_WROTE, first_seq=1, last_seq=1, state=State.SKIPPED,
                                       reason="the messages were read meanwhile")


def test_admins_see_the_rows_and_why(world, row):
    page = client_for(world["admin"]).get("/django-admin/notifications/notification/")
    assert page.status_code == 200
    assert b"the messages were read meanwhile" in page.content
    assert b"delete_selected" not in page.content


def test_nobody_writes_them_there(world, row):
    admin = client_for(world["admin"])
    base = f"/django-admin/notifications/notification/{row.pk}/"
    assert admin.post(f"{base}change/", {"state": "pending", "_save": "Save"}).status_code == 403
    assert admin.post(f"{base}delete/", {"post": "yes"}).status_code == 403
    assert admin.get("/django-admin/notifications/notification/add/").status_code == 403
    row.refresh_from_db()
    assert row.state == State.SKIPPED


@pytest.mark.parametrize("persona", ["sarah", "john"])
def test_not_for_anyone_else(world, row, persona):
    response = client_for(world[persona]).get("/django-admin/notifications/notification/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
