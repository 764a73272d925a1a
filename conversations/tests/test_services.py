"""The rules of SPEC §4, one service each."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conversations.models import MESSAGE_MAX_LENGTH, Conversation, Message, Status
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_mark_read,
    conversation_post_message,
    conversation_set_status,
    conversation_start_for_lead,
)
from tickets.models import Priority, SupportTicket
from tickets.services import ticket_set_priority

pytestmark = pytest.mark.django_db


# --- 4.1 posting and the auto-ticket -------------------------------------------------


def test_first_customer_message_opens_a_ticket_with_the_rule_fields(john, johns_conversation, admin_user, sarah):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    body = "x" * 700

    conversation_post_message(actor=john, conversation=johns_conversation, body=body)

    ticket = SupportTicket.objects.get(conversation=johns_conversation)
    assert ticket.subject == "Support request from John Doe"
    assert ticket.description == "x" * 500
    assert ticket.status == Status.OPEN
    assert ticket.priority == Priority.NORMAL
    assert ticket.assigned_to == sarah
    assert ticket.customer == john


def test_ticket_subject_falls_back_to_email_when_the_customer_has_no_name(db):
    from tests.factories import CustomerFactory

    nameless = CustomerFactory(email="nobody@example.test", name="")
    conversation, _ = conversation_get_or_create_for_customer(customer=nameless)
    conversation_post_message(actor=nameless, conversation=conversation, body="hello")
    assert conversation.ticket.subject == "Support request from nobody@example.test"


def test_unassigned_conversation_gives_an_unassigned_ticket(john, johns_conversation):
    conversation_post_message(actor=john, conversation=johns_conversation, body="hi")
    assert SupportTicket.objects.get(conversation=johns_conversation).assigned_to is None


def test_later_customer_messages_reuse_the_ticket_and_set_it_open(john, johns_conversation, admin_user):
    conversation_post_message(actor=john, conversation=johns_conversation, body="first")
    ticket = SupportTicket.objects.get()
    SupportTicket.objects.filter(pk=ticket.pk).update(status=Status.PENDING)
    before = SupportTicket.objects.get().updated_at

    conversation_post_message(actor=john, conversation=johns_conversation, body="second")

    ticket.refresh_from_db()
    assert SupportTicket.objects.count() == 1
    assert ticket.status == Status.OPEN
    assert ticket.description == "first"
    assert ticket.updated_at >= before


def test_team_messages_never_create_a_ticket(johns_conversation, admin_user):
    conversation_post_message(actor=admin_user, conversation=johns_conversation, body="Welcome!")
    assert not SupportTicket.objects.exists()


def test_lead_messages_open_a_ticket_without_customer(lead_conversation):
    conversation_post_message(actor=None, conversation=lead_conversation, body="Pricing?")
    ticket = SupportTicket.objects.get(conversation=lead_conversation)
    assert ticket.customer is None
    assert ticket.subject == "Support request from Alice Brown"


def test_messages_get_consecutive_seq_and_move_the_timestamps(john, johns_conversation, admin_user):
    created = johns_conversation.updated_at
    first = conversation_post_message(actor=john, conversation=johns_conversation, body="one")
    second = conversation_post_message(actor=admin_user, conversation=johns_conversation, body="two")
    third = conversation_post_message(actor=john, conversation=johns_conversation, body="three")

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    johns_conversation.refresh_from_db()
    assert johns_conversation.last_seq == 3
    assert johns_conversation.last_message_at == third.created_at or johns_conversation.last_message_at >= third.created_at
    assert johns_conversation.updated_at >= created
    assert [first.from_participant, second.from_participant, third.from_participant] == [True, False, True]


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.PENDING])
def test_customer_writing_reopens_the_conversation_and_ticket(status, john, johns_conversation, admin_user):
    conversation_post_message(actor=john, conversation=johns_conversation, body="help")
    conversation_set_status(actor=admin_user, conversation=johns_conversation, status=status)
    assert SupportTicket.objects.get().status == status

    conversation_post_message(actor=john, conversation=johns_conversation, body="still broken")

    johns_conversation.refresh_from_db()
    assert johns_conversation.status == Status.OPEN
    assert SupportTicket.objects.get().status == Status.OPEN


def test_team_reply_does_not_reopen(john, johns_conversation, admin_user):
    conversation_post_message(actor=john, conversation=johns_conversation, body="thanks")
    conversation_set_status(actor=admin_user, conversation=johns_conversation, status=Status.RESOLVED)
    conversation_post_message(actor=admin_user, conversation=johns_conversation, body="You're welcome")
    johns_conversation.refresh_from_db()
    assert johns_conversation.status == Status.RESOLVED


@pytest.mark.parametrize(
    "body, reason",
    [
        ("", "required"),
        ("   \n\t ", "required"),
        ("x" * (MESSAGE_MAX_LENGTH + 1), "max_length"),
        ("bad\x00byte", "control_character"),
        ("bell\x07", "control_character"),
        (None, "invalid"),
        (42, "invalid"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(body, reason, john, johns_conversation):
    with pytest.raises(ValidationError) as excinfo:
        conversation_post_message(actor=john, conversation=johns_conversation, body=body)
    assert excinfo.value.code == reason
    assert not Message.objects.exists()
    assert not SupportTicket.objects.exists()
    johns_conversation.refresh_from_db()
    assert johns_conversation.last_seq == 0


def test_body_is_trimmed_and_the_maximum_is_accepted(john, johns_conversation):
    exact = "y" * MESSAGE_MAX_LENGTH
    message = conversation_post_message(actor=john, conversation=johns_conversation, body=f"  {exact}\n")
    assert message.body == exact


def test_a_client_token_makes_a_retried_send_one_message(john, johns_conversation):
    first = conversation_post_message(actor=john, conversation=johns_conversation, body="once", client_token="tok-1")
    again = conversation_post_message(actor=john, conversation=johns_conversation, body="once", client_token="tok-1")
    assert first.pk == again.pk
    assert Message.objects.count() == 1


def test_posting_into_an_invisible_conversation_is_refused(jane, johns_conversation, mike, admin_user, sarah):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    for outsider in (jane, mike):
        with pytest.raises(Conversation.DoesNotExist):
            conversation_post_message(actor=outsider, conversation=johns_conversation, body="sneaky")
    assert not Message.objects.exists()


def test_only_a_lead_conversation_takes_a_message_without_sender(johns_conversation):
    with pytest.raises(PermissionDenied):
        conversation_post_message(actor=None, conversation=johns_conversation, body="who am I")


# --- 4.2 one conversation per customer ------------------------------------------------


def test_customer_conversation_is_created_once(john):
    first, created = conversation_get_or_create_for_customer(customer=john)
    again, created_again = conversation_get_or_create_for_customer(customer=john)
    assert created and not created_again
    assert first.pk == again.pk
    assert first.source == "customer"


def test_team_members_have_no_portal_conversation(sarah):
    with pytest.raises(PermissionDenied):
        conversation_get_or_create_for_customer(customer=sarah)


# --- 4.3 assign -------------------------------------------------------------------------


def test_assign_moves_the_ticket_along(john, johns_conversation, admin_user, sarah, mike):
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    assert SupportTicket.objects.get().assigned_to == sarah
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=mike)
    assert SupportTicket.objects.get().assigned_to == mike
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=None)
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None
    assert SupportTicket.objects.get().assigned_to is None


def test_only_admins_assign(johns_conversation, sarah, mike):
    with pytest.raises(PermissionDenied):
        conversation_assign(actor=sarah, conversation=johns_conversation, assignee=mike)
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None


def test_assignee_must_be_an_active_team_member(johns_conversation, admin_user, jane, sarah):
    sarah.is_active = False
    sarah.save()
    for assignee in (jane, sarah):
        with pytest.raises(ValidationError):
            conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=assignee)
    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None


def test_assigning_the_same_person_again_changes_nothing(johns_conversation, admin_user, sarah):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    johns_conversation.refresh_from_db()
    stamp = johns_conversation.updated_at
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    johns_conversation.refresh_from_db()
    assert johns_conversation.updated_at == stamp


# --- 4.4 status ---------------------------------------------------------------------------


def test_status_change_by_admin_and_assigned_staff_only(john, johns_conversation, admin_user, sarah, mike):
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)

    conversation_set_status(actor=sarah, conversation=johns_conversation, status=Status.PENDING)
    assert SupportTicket.objects.get().status == Status.PENDING
    conversation_set_status(actor=admin_user, conversation=johns_conversation, status=Status.RESOLVED)
    assert SupportTicket.objects.get().status == Status.RESOLVED

    # Mike cannot see it: "not yours" is "not found" (issue 9 A12). John can see it but
    # may not change it: 403.
    with pytest.raises(Conversation.DoesNotExist):
        conversation_set_status(actor=mike, conversation=johns_conversation, status=Status.CLOSED)
    with pytest.raises(PermissionDenied):
        conversation_set_status(actor=john, conversation=johns_conversation, status=Status.CLOSED)
    johns_conversation.refresh_from_db()
    assert johns_conversation.status == Status.RESOLVED


def test_unknown_status_is_refused(johns_conversation, admin_user):
    with pytest.raises(ValidationError):
        conversation_set_status(actor=admin_user, conversation=johns_conversation, status="DELETED")
    johns_conversation.refresh_from_db()
    assert johns_conversation.status == Status.OPEN


def test_ticket_priority_is_an_admin_change(john, johns_conversation, admin_user, sarah):
    conversation_post_message(actor=john, conversation=johns_conversation, body="urgent!")
    ticket = SupportTicket.objects.get()
    ticket_set_priority(actor=admin_user, ticket=ticket, priority=Priority.URGENT)
    assert SupportTicket.objects.get().priority == Priority.URGENT
    with pytest.raises(PermissionDenied):
        ticket_set_priority(actor=sarah, ticket=ticket, priority=Priority.LOW)
    with pytest.raises(ValidationError):
        ticket_set_priority(actor=admin_user, ticket=ticket, priority="whenever")
    assert SupportTicket.objects.get().priority == Priority.URGENT


# --- 4.5 read marks --------------------------------------------------------------------


def test_team_reading_marks_the_participants_messages(john, johns_conversation, admin_user, sarah):
    conversation_post_message(actor=john, conversation=johns_conversation, body="one")
    conversation_post_message(actor=admin_user, conversation=johns_conversation, body="reply")
    conversation_post_message(actor=john, conversation=johns_conversation, body="two")

    assert conversation_mark_read(reader=admin_user, conversation=johns_conversation) == 2
    assert list(Message.objects.order_by("seq").values_list("read_at", flat=True)[1:2]) == [None]
    assert Message.objects.filter(from_participant=True, read_at__isnull=True).count() == 0
    assert conversation_mark_read(reader=admin_user, conversation=johns_conversation) == 0


def test_customer_reading_marks_the_teams_messages_only(john, johns_conversation, admin_user):
    conversation_post_message(actor=john, conversation=johns_conversation, body="one")
    conversation_post_message(actor=admin_user, conversation=johns_conversation, body="reply")
    assert conversation_mark_read(reader=john, conversation=johns_conversation) == 1
    assert Message.objects.get(seq=1).read_at is None
    assert Message.objects.get(seq=2).read_at is not None


def test_read_marks_stop_at_what_was_shown(john, johns_conversation, admin_user):
    for body in ("a", "b", "c"):
        conversation_post_message(actor=john, conversation=johns_conversation, body=body)
    conversation_mark_read(reader=admin_user, conversation=johns_conversation, up_to_seq=2)
    assert list(Message.objects.order_by("seq").values_list("read_at", flat=True))[2] is None
    assert Message.objects.filter(read_at__isnull=False).count() == 2


def test_another_customer_cannot_mark_anything_read(john, jane, johns_conversation, admin_user):
    conversation_post_message(actor=admin_user, conversation=johns_conversation, body="for John")
    assert conversation_mark_read(reader=jane, conversation=johns_conversation) == 0
    assert Message.objects.get().read_at is None


# --- leads ------------------------------------------------------------------------------


def test_only_admins_start_lead_conversations(alice_lead, sarah, admin_user, mike):
    with pytest.raises(PermissionDenied):
        conversation_start_for_lead(actor=sarah, lead=alice_lead)
    conversation = conversation_start_for_lead(actor=admin_user, lead=alice_lead, assigned_to=mike)
    assert conversation.source == "lead" and conversation.assigned_to == mike


def test_posting_is_rate_limited_per_person(settings, john, johns_conversation, jane, janes_conversation):
    from conversations.services import RateLimited

    settings.MESSAGE_RATE_LIMIT_PER_MINUTE = 3
    for i in range(3):
        conversation_post_message(actor=john, conversation=johns_conversation, body=f"m{i}")
    with pytest.raises(RateLimited) as excinfo:
        conversation_post_message(actor=john, conversation=johns_conversation, body="one too many")
    assert excinfo.value.retry_after == 60
    assert Message.objects.filter(sender=john).count() == 3
    # Someone else is not affected.
    conversation_post_message(actor=jane, conversation=janes_conversation, body="hello")


def test_opening_a_lead_conversation_reuses_the_newest_and_is_for_admins(alice_lead, admin_user, sarah):
    from conversations.services import conversation_open_for_lead

    with pytest.raises(PermissionDenied):
        conversation_open_for_lead(actor=sarah, lead=alice_lead)
    first, created = conversation_open_for_lead(actor=admin_user, lead=alice_lead)
    again, created_again = conversation_open_for_lead(actor=admin_user, lead=alice_lead)
    assert created and not created_again
    assert first.pk == again.pk
    assert Conversation.objects.filter(lead=alice_lead).count() == 1


# --- issue 9: idempotency keys belong to their sender (A5) ---------------------------


def test_a_client_token_is_only_its_senders_key(john, johns_conversation, admin_user, sarah):
    """A customer who used a token first must not make the staff reply with that token
    vanish (it used to come back as the customer's message, nothing stored)."""
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    johns = conversation_post_message(actor=john, conversation=johns_conversation, body="from John", client_token="T")

    sarahs = conversation_post_message(actor=sarah, conversation=johns_conversation, body="from Sarah", client_token="T")

    assert sarahs.pk != johns.pk
    assert (sarahs.sender, sarahs.body, sarahs.seq) == (sarah, "from Sarah", 2)
    assert list(Message.objects.order_by("seq").values_list("sender", "body")) == [
        (john.pk, "from John"), (sarah.pk, "from Sarah"),
    ]
    # Each sender's retry still finds their own message, and only theirs.
    assert conversation_post_message(actor=sarah, conversation=johns_conversation, body="from Sarah", client_token="T").pk == sarahs.pk
    assert conversation_post_message(actor=john, conversation=johns_conversation, body="from John", client_token="T").pk == johns.pk
    assert Message.objects.count() == 2


def test_a_leads_retried_send_is_one_message_and_the_teams_token_stays_its_own(lead_conversation, admin_user):
    """Lead messages have no sender: the unique index never sees two NULLs as equal, so
    the lookup under the conversation lock is what makes their retry one message."""
    leads = conversation_post_message(actor=None, conversation=lead_conversation, body="Pricing?", client_token="L")
    assert conversation_post_message(actor=None, conversation=lead_conversation, body="Pricing?", client_token="L").pk == leads.pk

    admins = conversation_post_message(actor=admin_user, conversation=lead_conversation, body="Our prices", client_token="L")

    assert admins.pk != leads.pk
    assert (admins.sender, admins.body) == (admin_user, "Our prices")
    assert Message.objects.count() == 2


# --- issue 9: races that answered wrongly (A12) ----------------------------------------


def test_assigning_someone_deactivated_a_moment_ago_is_refused(john, johns_conversation, admin_user, sarah):
    """The caller (a form, the API) checked the assignee a moment earlier; the service
    must judge the account as it is now, not the instance it was handed."""
    from accounts.models import User
    from accounts.services import user_deactivate

    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    checked_by_the_form = User.objects.get(pk=sarah.pk)
    user_deactivate(actor=admin_user, user=User.objects.get(pk=sarah.pk))
    assert checked_by_the_form.is_active  # stale: still says active

    with pytest.raises(ValidationError, match="active team member"):
        conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=checked_by_the_form)

    johns_conversation.refresh_from_db()
    assert johns_conversation.assigned_to is None
    assert SupportTicket.objects.get().assigned_to is None


def test_a_status_change_after_losing_the_conversation_is_not_found_not_forbidden(
    john, johns_conversation, admin_user, sarah, mike
):
    """Sarah's page loaded the conversation, then an admin gave it to Mike: her status
    change is "not yours" (DoesNotExist, a 404), like any conversation she cannot see."""
    conversation_post_message(actor=john, conversation=johns_conversation, body="hello")
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    loaded_by_sarahs_page = Conversation.objects.get(pk=johns_conversation.pk)
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=mike)

    with pytest.raises(Conversation.DoesNotExist):
        conversation_set_status(actor=sarah, conversation=loaded_by_sarahs_page, status=Status.RESOLVED)

    johns_conversation.refresh_from_db()
    assert johns_conversation.status == Status.OPEN
    assert SupportTicket.objects.get().status == Status.OPEN
    # Mike, who has it now, may change it.
    conversation_set_status(actor=mike, conversation=loaded_by_sarahs_page, status=Status.RESOLVED)
    assert SupportTicket.objects.get().status == Status.RESOLVED
