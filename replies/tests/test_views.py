"""The canned replies page, its actions and the picker's JSON: the standard battery
beyond the access matrix (shared vs personal, bad input, query counts)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conversations.models import MESSAGE_MAX_LENGTH
from replies.models import CannedReply
from replies.selectors import canned_reply_list_for
from replies.services import (
    canned_reply_create,
    canned_reply_delete,
    canned_reply_update,
)
from tests.personas import client_for


@pytest.fixture
def shared(db):
    return canned_reply_create(actor=None, title="Thanks", body="Thanks {customer.first_name}!", shared=True)


@pytest.fixture
def sarahs(sarah):
    return canned_reply_create(actor=sarah, title="Mine", body="Sarah's {agent.first_name}")


class TestServices:
    def test_staff_cannot_create_or_change_shared_ones(self, sarah, shared):
        with pytest.raises(PermissionDenied):
            canned_reply_create(actor=sarah, title="X", body="y", shared=True)
        with pytest.raises(PermissionDenied):
            canned_reply_update(actor=sarah, reply=shared, title="X", body="y")
        with pytest.raises(PermissionDenied):
            canned_reply_delete(actor=sarah, reply=shared)
        shared.refresh_from_db()
        assert shared.title == "Thanks"

    def test_nobody_changes_someone_elses_personal_reply(self, admin_user, mike, sarahs):
        for actor in (admin_user, mike):
            with pytest.raises(PermissionDenied):
                canned_reply_update(actor=actor, reply=sarahs, title="X", body="y")

    def test_customers_have_none(self, john):
        with pytest.raises(PermissionDenied):
            canned_reply_create(actor=john, title="X", body="y")

    @pytest.mark.parametrize("title, body, field", [
        ("", "body", "title"), ("   ", "body", "title"), ("T", "", "body"),
        ("T\x00", "body", "title"), ("T", "a\x07b", "body"), ("T", "x" * (MESSAGE_MAX_LENGTH + 1), "body"),
    ])
    def test_bad_input_is_refused_with_the_reason(self, sarah, title, body, field):
        with pytest.raises(ValidationError) as error:
            canned_reply_create(actor=sarah, title=title, body=body)
        assert field in error.value.message_dict
        assert not CannedReply.objects.exists()

    def test_titles_are_unique_per_owner_and_among_shared(self, sarah, mike, shared, sarahs):
        with pytest.raises(ValidationError):
            canned_reply_create(actor=sarah, title="Mine", body="again")
        with pytest.raises(ValidationError):
            canned_reply_create(actor=None, title="Thanks", body="again", shared=True)
        canned_reply_create(actor=mike, title="Mine", body="Mike's own")  # another owner: fine
        canned_reply_create(actor=sarah, title="Thanks", body="personal copy")  # personal vs shared: fine

    def test_an_unchanged_update_writes_nothing(self, sarah, sarahs, django_assert_num_queries):
        with django_assert_num_queries(0):
            canned_reply_update(actor=sarah, reply=sarahs, title="Mine", body=sarahs.body)

    def test_selector_gives_shared_and_own_only(self, sarah, mike, john, shared, sarahs):
        canned_reply_create(actor=mike, title="Mike's", body="m")
        assert list(canned_reply_list_for(sarah)) == [sarahs, shared]
        assert list(canned_reply_list_for(john)) == []


class TestPages:
    def test_list_shows_shared_and_own_not_others(self, sarah, mike, shared, sarahs):
        canned_reply_create(actor=mike, title="Mike's secret", body="m")
        page = client_for(sarah).get("/staff/replies/").content.decode()
        assert "Thanks" in page and "Mine" in page and "Mike&#x27;s secret" not in page and "Mike's secret" not in page
        # Staff get no edit control for the shared reply.
        assert f"/staff/replies/{shared.pk}/edit/" not in page
        assert f"/staff/replies/{sarahs.pk}/edit/" in page

    def test_staff_create_a_personal_reply_even_if_they_send_shared(self, sarah):
        response = client_for(sarah).post("/staff/replies/new/", {"title": "Hi", "body": "Hello", "shared": "on"})
        assert response.status_code == 302
        assert CannedReply.objects.get().owner == sarah

    def test_admins_create_shared_ones(self, admin_user, sarah):
        client_for(admin_user).post("/staff/replies/new/", {"title": "Team", "body": "Hello", "shared": "on"})
        reply = CannedReply.objects.get()
        assert reply.is_shared
        assert reply in canned_reply_list_for(sarah)

    def test_a_duplicate_title_answers_400_with_the_reason(self, sarah, sarahs):
        response = client_for(sarah).post("/staff/replies/new/", {"title": "Mine", "body": "again"})
        assert response.status_code == 400
        assert "already" in response.content.decode()
        assert CannedReply.objects.count() == 1

    def test_staff_editing_a_shared_reply_get_403_and_nothing_changes(self, sarah, shared):
        client = client_for(sarah)
        assert client.get(f"/staff/replies/{shared.pk}/edit/").status_code == 403
        assert client.post(f"/staff/replies/{shared.pk}/edit/", {"title": "X", "body": "y"}).status_code == 403
        assert client.post(f"/staff/replies/{shared.pk}/delete/").status_code == 403
        shared.refresh_from_db()
        assert shared.title == "Thanks"

    def test_admins_edit_and_delete_shared_ones(self, admin_user, shared):
        client = client_for(admin_user)
        assert client.post(f"/staff/replies/{shared.pk}/edit/", {"title": "Thanks!", "body": "b"}).status_code == 302
        shared.refresh_from_db()
        assert shared.title == "Thanks!"
        assert client.post(f"/staff/replies/{shared.pk}/delete/").status_code == 302
        assert not CannedReply.objects.exists()

    def test_someone_elses_personal_reply_is_404_and_untouched(self, mike, admin_user, sarahs):
        for user in (mike, admin_user):
            client = client_for(user)
            assert client.post(f"/staff/replies/{sarahs.pk}/delete/").status_code == 404
            assert client.post(f"/staff/replies/{sarahs.pk}/edit/", {"title": "X", "body": "y"}).status_code == 404
        assert CannedReply.objects.get().title == "Mine"

    def test_a_huge_id_is_404(self, sarah):
        assert client_for(sarah).get("/staff/replies/99999999999999999999/edit/").status_code == 404


def _replies(count, *, owner):
    for i in range(count):
        canned_reply_create(actor=None, title=f"Shared {i}", body=f"Hi {{customer.first_name}} {i}", shared=True)
        canned_reply_create(actor=owner, title=f"Own {i}", body=f"From {{agent.first_name}} {i}")


class TestPicker:
    def test_json_fills_placeholders_for_this_conversation_and_viewer(self, world, shared, sarahs):
        data = client_for(world["sarah"]).get(f"/staff/conversations/{world['johns'].pk}/replies/").json()
        assert data == {"replies": [
            {"id": sarahs.pk, "title": "Mine", "text": "Sarah's Sarah", "shared": False},
            {"id": shared.pk, "title": "Thanks", "text": "Thanks John!", "shared": True},
        ]}

    def test_a_conversation_the_viewer_cannot_see_is_404(self, world, shared):
        response = client_for(world["mike"]).get(f"/staff/conversations/{world['johns'].pk}/replies/")
        assert response.status_code == 404
        assert b"John" not in response.content

    @pytest.mark.parametrize("count", [3, 300])
    def test_query_count_is_constant(self, world, count, django_assert_num_queries):
        _replies(count, owner=world["sarah"])
        client = client_for(world["sarah"])
        url = f"/staff/conversations/{world['johns'].pk}/replies/"
        # 1 session, 2 user, 3 the conversation (through visible_to, with its participant),
        # 4 the replies.
        with django_assert_num_queries(4):
            response = client.get(url)
        assert len(response.json()["replies"]) == 2 * count


@pytest.mark.parametrize("count", [3, 300])
def test_list_page_query_count_is_constant(sarah, count, django_assert_num_queries):
    _replies(count, owner=sarah)
    client = client_for(sarah)
    # 1 session, 2 user, 3 the replies (shared and own in one query).
    with django_assert_num_queries(3):
        response = client.get("/staff/replies/")
    assert response.content.decode().count('class="reply-row"') == 2 * count


def test_the_picker_is_in_the_teams_message_box_and_absent_from_the_customers(world, shared):
    staff_page = client_for(world["sarah"]).get(f"/staff/conversations/{world['johns'].pk}/").content.decode()
    console_page = client_for(world["admin"]).get(f"/admin/conversations/{world['johns'].pk}/").content.decode()
    replies_url = f'data-url="/staff/conversations/{world["johns"].pk}/replies/"'
    assert replies_url in staff_page and replies_url in console_page
    chat = client_for(world["john"]).get("/portal/chat/").content.decode()
    assert "data-reply-picker" not in chat and "Insert reply" not in chat and "replies" not in chat
