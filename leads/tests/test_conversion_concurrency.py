"""Make customer under races, on MariaDB with real threads (SQLite ignores row locks)."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AccountEmail, User
from conversations.models import Conversation, Message, Source
from conversations.services import conversation_post_message, conversation_start_for_lead
from leads.models import Lead, LeadStatus
from leads.services import lead_convert_to_customer
from tests.concurrency import run_in_threads
from tests.factories import AdminFactory, LeadFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.mariadb]


def test_two_admins_converting_one_lead_at_once_make_one_account():
    admins = [AdminFactory(email=f"admin{i}@example.test") for i in range(2)]
    for round in range(5):
        lead = LeadFactory(email=f"twice{round}@prospect.test")
        first = conversation_start_for_lead(actor=None, lead=lead)
        second = conversation_start_for_lead(actor=None, lead=lead)
        conversation_post_message(actor=None, conversation=first, body="Hello")
        chosen = [first, second]  # each admin picks a different conversation: still one account

        def convert(i, lead=lead, chosen=chosen):
            return lead_convert_to_customer(actor=admins[i], lead=Lead.objects.get(pk=lead.pk),
                                            conversation=Conversation.objects.get(pk=chosen[i].pk))

        results, errors = run_in_threads(convert, 2)
        assert sorted(type(e).__name__ for e in errors) == ["NoneType", "ValidationError"]
        assert "already converted" in str(next(e for e in errors if e is not None))
        winner = errors.index(None)
        customer = results[winner]
        assert list(User.objects.filter(email=lead.email).values_list("pk", flat=True)) == [customer.pk]
        assert AccountEmail.objects.filter(user=customer).count() == 1
        lead.refresh_from_db()
        assert (lead.status, lead.customer_id) == (LeadStatus.CONVERTED, customer.pk)
        assert list(Conversation.objects.filter(customer=customer).values_list("pk", flat=True)) == [chosen[winner].pk]
        loser = Conversation.objects.get(pk=chosen[1 - winner].pk)
        assert (loser.source, loser.customer_id) == (Source.LEAD, None)


def test_a_conversion_racing_team_replies_and_lead_messages_loses_nothing():
    """Replies (which may mark the lead contacted, under the conversation lock then the
    lead's) and the lead's own messages race the conversion (the same lock order): no
    deadlock, every message that was accepted is in the customer's timeline in order, and
    a message without a sender after the conversion is refused."""
    admin = AdminFactory()
    for round in range(3):
        lead = LeadFactory(email=f"race{round}@prospect.test")
        conversation = conversation_start_for_lead(actor=None, lead=lead)
        conversation_post_message(actor=None, conversation=conversation, body="First")

        def act(i, lead=lead, conversation=conversation):
            fresh = Conversation.objects.get(pk=conversation.pk)
            if i == 0:
                return lead_convert_to_customer(actor=admin, lead=Lead.objects.get(pk=lead.pk), conversation=fresh)
            if i in (1, 2):
                return conversation_post_message(actor=admin if i == 1 else None, conversation=fresh,
                                                 body=f"Message {i}")
            return conversation_post_message(actor=admin, conversation=fresh, body="Another reply")

        _, errors = run_in_threads(act, 4)
        assert errors[0] is None and errors[1] is None and errors[3] is None
        # The lead's own message is in if it came before the conversion, refused after.
        assert errors[2] is None or type(errors[2]).__name__ == "PermissionDenied"
        conversation.refresh_from_db()
        assert conversation.source == Source.CUSTOMER
        seqs = list(Message.objects.filter(conversation=conversation).order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, conversation.last_seq + 1))
        assert len(seqs) == 3 + (errors[2] is None)
        lead.refresh_from_db()
        assert lead.status == LeadStatus.CONVERTED  # a reply never moved it back to contacted


def test_refusal_under_a_race_with_the_people_page_inviting_the_same_address():
    """An admin invites the lead's address on the People page while another converts the
    lead: one account, and the loser gets a clear refusal."""
    from accounts.models import Role
    from accounts.services import user_invite

    admins = [AdminFactory(email=f"peer{i}@example.test") for i in range(2)]
    for round in range(3):
        lead = LeadFactory(email=f"both{round}@prospect.test")
        conversation = conversation_start_for_lead(actor=None, lead=lead)

        def act(i, lead=lead, conversation=conversation):
            if i == 0:
                return lead_convert_to_customer(actor=admins[0], lead=Lead.objects.get(pk=lead.pk),
                                                conversation=Conversation.objects.get(pk=conversation.pk))
            return user_invite(actor=admins[1], email=lead.email, name="Invited", role=Role.CUSTOMER)

        _, errors = run_in_threads(act, 2)
        assert [type(e).__name__ for e in errors].count("NoneType") == 1
        assert all(e is None or isinstance(e, ValidationError) for e in errors)
        assert User.objects.filter(email=lead.email).count() == 1
        lead.refresh_from_db()
        conversation.refresh_from_db()
        if errors[0] is None:
            assert lead.status == LeadStatus.CONVERTED and conversation.source == Source.CUSTOMER
        else:
            assert "already exists" in str(errors[0])
            assert lead.customer_id is None and conversation.source == Source.LEAD
