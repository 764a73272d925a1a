"""Django's data admin (/django-admin/) can look at conversations, messages and
tickets but never write them (issue 9 A9): those change only through the services,
which keep `last_seq`, `seq` and the ticket in step. People management still works."""

import pytest
from django.contrib.admin.models import LogEntry

from accounts.models import Role, User
from conversations.models import Conversation, Message
from tests.personas import PASSWORD, client_for
from tickets.models import SupportTicket


def rows_of(world):
    """The standard world's rows these tests try to write: John's conversation, its
    first message and its ticket."""
    johns = world["johns"]
    return {"conversation": johns, "message": johns.messages.get(seq=1), "ticket": johns.ticket}


def stored():
    """Every row the data admin could touch, plus its own change log."""
    return (list(Conversation.objects.order_by("pk").values()), list(Message.objects.order_by("pk").values()),
            list(SupportTicket.objects.order_by("pk").values()), LogEntry.objects.count())


def change_posts(world):
    """What a browser would send from each change form, trying every kind of write."""
    rows = rows_of(world)
    conversation, message, ticket = rows["conversation"], rows["message"], rows["ticket"]
    messages_formset = {
        "messages-TOTAL_FORMS": "2", "messages-INITIAL_FORMS": "2",
        "messages-MIN_NUM_FORMS": "0", "messages-MAX_NUM_FORMS": "1000",
        **{f"messages-{index}-id": str(pk) for index, pk in enumerate(conversation.messages.order_by("seq")
                                                                     .values_list("pk", flat=True))},
        **{f"messages-{index}-conversation": str(conversation.pk) for index in range(2)},
        "messages-1-DELETE": "on",
    }
    return {
        "conversation": (f"/django-admin/conversations/conversation/{conversation.pk}/",
                         {"status": "CLOSED", "last_seq": "0", "assigned_to": "", "_save": "Save",
                          **messages_formset}),
        "message": (f"/django-admin/conversations/message/{message.pk}/",
                    {"body": "rewritten", "seq": "7", "_save": "Save"}),
        "ticket": (f"/django-admin/tickets/supportticket/{ticket.pk}/",
                   {"subject": "rewritten", "description": "rewritten", "priority": "urgent", "_save": "Save"}),
    }


@pytest.mark.parametrize("model", ["conversation", "message", "ticket"])
def test_the_change_and_delete_pages_refuse_every_write(world, model):
    base, data = change_posts(world)[model]
    admin = client_for(world["admin"])
    before = stored()

    assert admin.post(f"{base}change/", data).status_code == 403
    assert admin.post(f"{base}delete/", {"post": "yes"}).status_code == 403
    assert admin.get(f"{base}delete/").status_code == 403
    assert stored() == before


@pytest.mark.parametrize("changelist, model", [
    ("/django-admin/conversations/conversation/", "conversation"),
    ("/django-admin/conversations/message/", "message"),
    ("/django-admin/tickets/supportticket/", "ticket"),
])
def test_the_change_lists_offer_no_delete_action_and_deleting_through_them_changes_nothing(world, changelist, model):
    admin = client_for(world["admin"])
    before = stored()
    page = admin.get(changelist)
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    admin.post(changelist, {"action": "delete_selected", "_selected_action": [str(rows_of(world)[model].pk)],
                            "index": "0", "post": "yes"})
    assert stored() == before


@pytest.mark.parametrize("add_page", [
    "/django-admin/conversations/conversation/add/",
    "/django-admin/conversations/message/add/",
    "/django-admin/tickets/supportticket/add/",
])
def test_nothing_can_be_added(world, add_page):
    admin = client_for(world["admin"])
    before = stored()
    assert admin.get(add_page).status_code == 403
    assert admin.post(add_page, {"body": "new", "subject": "new"}).status_code == 403
    assert stored() == before


@pytest.mark.parametrize("model", ["conversation", "message", "ticket"])
def test_admins_can_still_look(world, model):
    base, _ = change_posts(world)[model]
    page = client_for(world["admin"]).get(f"{base}change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="_save"' not in body and "/delete/" not in body
    if model == "conversation":
        assert "Hello" in body and "Hi John" in body  # the read-only messages inline


@pytest.mark.parametrize("persona", ["sarah", "john"])
def test_non_admins_still_cannot_look(world, persona, request):
    page = client_for(request.getfixturevalue(persona)).get(f"{change_posts(world)['conversation'][0]}change/")
    assert page.status_code == 302 and page["Location"].startswith("/django-admin/login/")


def test_people_management_still_works(world, client):
    admin = client_for(world["admin"])
    added = admin.post("/django-admin/accounts/user/add/", {
        "email": "new.person@example.test", "name": "New Person", "role": Role.STAFF,
        "password1": "a-long-new-password-42", "password2": "a-long-new-password-42",
    })
    assert added.status_code == 302
    person = User.objects.get(email="new.person@example.test")
    assert person.role == Role.STAFF and person.check_password("a-long-new-password-42")

    changed = admin.post(f"/django-admin/accounts/user/{person.pk}/change/", {
        "email": person.email, "name": "Renamed Person", "phone": "", "company": "Acme",
        "role": Role.STAFF, "is_active": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
    })
    assert changed.status_code == 302, changed.content.decode()[:2000]
    person.refresh_from_db()
    assert (person.name, person.company) == ("Renamed Person", "Acme")
    assert client.post("/accounts/login/", {"username": person.email, "password": "a-long-new-password-42"}
                       ).status_code == 302
    world["sarah"].refresh_from_db()
    assert world["sarah"].check_password(PASSWORD)  # nobody else was touched
