"""@mentions in internal notes (issue 14, SECURITY_CASES 39: a mention never widens who
can see a conversation). The handle is the part of the email before the @ (sarah@… is
@sarah). Emails for mentions are in notifications/tests/test_note_emails.py."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conversations.mentions import mention_handles
from conversations.models import Mention, Message
from conversations.services import conversation_assign, conversation_mark_read, conversation_post_message
from tests.api.client import api_client, call, messages_url
from tests.factories import StaffFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def note(actor, conversation, body):
    return conversation_post_message(actor=actor, conversation=conversation, body=body, internal=True)


def test_handles_are_read_from_mentions_not_from_addresses():
    body = "Ask @Sarah and @mike.chen. Mail bob@example.test, cc @sarah again (@ada)"
    assert mention_handles(body) == ["sarah", "mike.chen", "ada"]
    assert mention_handles("no mention @ here, nor a@b") == []


@pytest.mark.django_db
def test_an_admin_mentions_the_assignee_and_the_mark_is_stored(world):
    message = note(world["admin"], world["johns"], "@sarah can you check the refund?")
    mention = Mention.objects.get()
    assert (mention.message_id, mention.mentioned_id, mention.cleared_at) == (message.pk, world["sarah"].pk, None)


@pytest.mark.django_db
def test_staff_mentions_an_admin_who_sees_everything(world):
    note(world["sarah"], world["johns"], "@admin please approve")
    assert Mention.objects.get().mentioned == world["admin"]


@pytest.mark.django_db
def test_mentioning_oneself_marks_nothing(world):
    note(world["sarah"], world["johns"], "reminder for @sarah")
    assert not Mention.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("body, reason", [
    ("@mike have a look", "@mike cannot see this conversation"),  # staff, not assigned
    ("@john have a look", "@john is not anyone on the team"),  # the customer himself
    ("@nobody have a look", "@nobody is not anyone on the team"),
    ("@sarah and @mike", "@mike cannot see this conversation"),  # one bad handle refuses all
])
def test_a_mention_never_widens_access_the_whole_note_is_refused(world, body, reason):
    count = Message.objects.count()
    with pytest.raises(ValidationError) as error:
        note(world["admin"], world["johns"], body)
    assert reason in " ".join(error.value.messages)
    assert Message.objects.count() == count and not Mention.objects.exists()
    world["johns"].refresh_from_db()
    assert world["johns"].last_seq == 2


@pytest.mark.django_db
def test_an_inactive_teammate_cannot_be_mentioned(world):
    gone = StaffFactory(email="gone@designpi.test", is_active=False)
    with pytest.raises(ValidationError, match="@gone is deactivated"):
        note(world["admin"], world["alices"], "@gone knew this lead")
    assert gone and not Message.objects.filter(internal=True).exists()


@pytest.mark.django_db
def test_the_same_handle_on_two_domains_is_refused_as_ambiguous(world):
    StaffFactory(email="sarah@elsewhere.test")
    with pytest.raises(ValidationError, match="@sarah matches more than one teammate"):
        note(world["admin"], world["johns"], "@sarah?")


@pytest.mark.django_db
def test_after_reassignment_the_new_assignee_can_be_mentioned_and_the_old_cannot(world):
    conversation_assign(actor=world["admin"], conversation=world["johns"], assignee=world["mike"])
    note(world["admin"], world["johns"], "@mike it is yours now")
    with pytest.raises(ValidationError, match="@sarah cannot see"):
        note(world["admin"], world["johns"], "@sarah no longer")


@pytest.mark.django_db
def test_a_public_message_mentions_nobody(world):
    conversation_post_message(actor=world["sarah"], conversation=world["johns"], body="@mike @nobody hello")
    assert not Mention.objects.exists()


@pytest.mark.django_db
def test_the_form_and_the_api_refuse_with_the_reason(world, as_user):
    count = Message.objects.count()
    form = as_user(world["admin"]).post(
        reverse("console:conversation_reply", args=[world["johns"].pk]),
        {"body": "@mike look", "internal": "on", "client_token": "3b7c8f9e-1d2a-4b3c-8d4e-5f6a7b8c9d0e"}, **HTMX)
    assert form.status_code == 400 and "@mike cannot see this conversation" in form.content.decode()
    api = call(api_client(world["admin"]), "POST", messages_url(world["johns"].pk),
               {"body": "@mike look", "internal": True})
    assert api.status_code == 400 and "@mike cannot see this conversation" in api.json()["detail"]
    assert Message.objects.count() == count


@pytest.mark.django_db
def test_the_mark_shows_in_the_lists_and_clears_when_opened(world, as_user):
    note(world["admin"], world["johns"], "@sarah please call John")
    sarah = as_user(world["sarah"])
    assert "Mentioned" in sarah.get(reverse("staff:conversation_list")).content.decode()
    # Mike's list and the admin's own list carry no mark.
    assert "mention-badge" not in as_user(world["mike"]).get(reverse("staff:conversation_list")).content.decode()
    assert "mention-badge" not in as_user(world["admin"]).get(reverse("console:conversation_list")).content.decode()
    # Another site's link opening the page clears nothing; her own visit does.
    sarah.get(reverse("staff:conversation_detail", args=[world["johns"].pk]), HTTP_SEC_FETCH_SITE="cross-site")
    assert Mention.objects.get().cleared_at is None
    sarah.get(reverse("staff:conversation_detail", args=[world["johns"].pk]))
    assert Mention.objects.get().cleared_at is not None
    assert "mention-badge" not in sarah.get(reverse("staff:conversation_list")).content.decode()


@pytest.mark.django_db
def test_the_note_hint_names_who_can_be_mentioned(world, as_user):
    page = as_user(world["sarah"]).get(reverse("staff:conversation_detail", args=[world["johns"].pk]))
    hint = page.content.decode().split('id="composer-note-hint"')[1].split("</p>")[0]
    assert "@admin" in hint and "@sarah" in hint and "@mike" not in hint
    console = as_user(world["admin"]).get(reverse("console:conversation_detail", args=[world["janes"].pk]))
    hint = console.content.decode().split('id="composer-note-hint"')[1].split("</p>")[0]
    assert "@admin" in hint and "@mike" in hint and "@sarah" not in hint
    # The customer's page has no hint and names nobody.
    chat = as_user(world["john"]).get(reverse("portal:chat")).content.decode()
    assert "composer-note-hint" not in chat and "@admin" not in chat


@pytest.mark.django_db
def test_an_admin_sees_the_mark_in_the_console(world, as_user):
    note(world["sarah"], world["johns"], "@admin approve please")
    admin = as_user(world["admin"])
    assert "mention-badge" in admin.get(reverse("console:conversation_list")).content.decode()
    admin.get(reverse("console:conversation_detail", args=[world["johns"].pk]))
    assert "mention-badge" not in admin.get(reverse("console:conversation_list")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("portal, expected", [("staff", 8), ("console", 8)])
def test_the_detail_page_query_count_is_pinned(world, as_user, django_assert_num_queries, settings, portal, expected):
    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 0
    viewer = world["sarah"] if portal == "staff" else world["admin"]
    client = as_user(viewer)
    url = reverse(f"{portal}:conversation_detail", args=[world["johns"].pk])
    for n in range(20):
        note(world["admin"] if portal == "staff" else world["sarah"], world["johns"],
             f"@{viewer.mention_handle} note {n}")
        conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=f"public {n}")
    conversation_mark_read(reader=viewer, conversation=world["johns"])  # read marks are another test's
    for _pass in range(2):  # with 20 marks to clear, then with none: the same count
        # 1 session, 2 user, 3 the conversation, 4 its newest messages (notes included),
        # 5 clear the viewer's @mention marks, 6 the ticket, 7 automatic assignments,
        # 8 who can be @mentioned (staff: admins and the assignee; console: the team list
        # its "Assign to" loads anyway, filtered in Python)
        with django_assert_num_queries(expected):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_the_mentioning_me_filter(world, as_user, many_conversations):
    others = many_conversations(3, world["sarah"])
    note(world["admin"], world["johns"], "@sarah this one")
    sarah = as_user(world["sarah"])
    everything = sarah.get(reverse("staff:conversation_list")).content.decode()
    assert everything.count('class="conv-link"') == 4
    only = sarah.get(reverse("staff:conversation_list"), {"mentioned": "me"}).content.decode()
    assert only.count('class="conv-link"') == 1 and f"/staff/conversations/{world['johns'].pk}/" in only
    assert "mentioned=me" in only  # the list poll keeps the filter
    assert f"/staff/conversations/{others[0].pk}/" not in only
    assert sarah.get(reverse("staff:conversation_list"), {"mentioned": "someone"}).status_code == 400
    # The admin's console filter is about the admin's own mentions.
    admin = as_user(world["admin"])
    mine = admin.get(reverse("console:conversation_list"), {"mentioned": "me"}).content.decode()
    assert 'class="conv-link"' not in mine
    note(world["sarah"], world["johns"], "@admin and you")
    console = admin.get(reverse("console:conversation_list"), {"mentioned": "me"}).content.decode()
    assert console.count('class="conv-link"') == 1
