"""seed_demo: exactly SPEC §7, through the services, idempotent, guarded."""

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import Role, User
from conversations.demo import SCALE_EMAIL_DOMAIN, load_demo_fixture
from conversations.models import Conversation, Message, Status
from leads.models import Lead
from replies.models import CannedReply
from tickets.models import SupportTicket

pytestmark = pytest.mark.django_db


def run_seed(*args, **kwargs):
    call_command("seed_demo", *args, force=True, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w"), **kwargs)


def snapshot():
    return {
        "users": sorted(User.objects.values_list("email", "password", "role", "name", "phone", "company")),
        "leads": sorted(Lead.objects.values_list("email", "status")),
        "conversations": sorted(Conversation.objects.values_list("pk", "status", "assigned_to__email", "last_seq")),
        "messages": sorted(Message.objects.values_list("conversation_id", "seq", "body")),
        "tickets": sorted(SupportTicket.objects.values_list("conversation_id", "status", "assigned_to__email", "priority")),
        "canned_replies": sorted(CannedReply.objects.values_list("pk", "title", "body", "updated_at")),
    }


def test_seed_makes_exactly_the_demo_people():
    run_seed()
    expected = {
        ("hello@designpi.com", Role.ADMIN, "", ""),
        ("sarah@designpi.com", Role.STAFF, "Sarah Johnson", "+1-555-0101"),
        ("mike@designpi.com", Role.STAFF, "Mike Chen", "+1-555-0102"),
        ("john.doe@example.com", Role.CUSTOMER, "John Doe", "+1-555-0201"),
        ("jane.smith@example.com", Role.CUSTOMER, "Jane Smith", "+1-555-0202"),
        ("bob.wilson@example.com", Role.CUSTOMER, "Bob Wilson", "+1-555-0203"),
    }
    got = {(u.email, u.role, u.name if u.role != Role.ADMIN else "", u.phone) for u in User.objects.all()}
    assert got == expected
    companies = dict(User.objects.filter(role=Role.CUSTOMER).values_list("email", "company"))
    assert companies == {
        "john.doe@example.com": "Acme Corporation",
        "jane.smith@example.com": "Tech Solutions Inc",
        "bob.wilson@example.com": "Global Ventures LLC",
    }
    passwords = {"hello@designpi.com": "admin123", "sarah@designpi.com": "staff123",
                 "mike@designpi.com": "staff123", "john.doe@example.com": "customer123"}
    for email, password in passwords.items():
        assert User.objects.get(email=email).check_password(password)


def test_seed_makes_the_leads_conversations_and_tickets():
    run_seed()
    assert dict(Lead.objects.values_list("email", "status")) == {
        "alice.brown@startup.com": "new",
        "david.lee@enterprise.com": "contacted",
        "emma.garcia@creative.io": "qualified",
    }
    assert Conversation.objects.count() == 3
    assert Conversation.objects.filter(assigned_to__isnull=False).count() == 3
    johns = Conversation.objects.get(customer__email="john.doe@example.com")
    assert johns.assigned_to.email == "sarah@designpi.com"
    janes = Conversation.objects.get(customer__email="jane.smith@example.com")
    assert janes.status == Status.PENDING and janes.assigned_to.email == "mike@designpi.com"
    leads = Conversation.objects.get(source="lead")
    assert leads.lead.email == "david.lee@enterprise.com"
    # Every conversation has messages numbered 1..n and the ticket the rules made.
    for conversation in Conversation.objects.all():
        seqs = list(conversation.messages.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, len(seqs) + 1)) and seqs
        assert conversation.last_seq == len(seqs)
        ticket = conversation.ticket
        assert ticket.status == conversation.status
        assert ticket.assigned_to_id == conversation.assigned_to_id
        assert ticket.subject.startswith("Support request from ")
    assert SupportTicket.objects.count() == 3
    assert not Conversation.objects.filter(customer__email="bob.wilson@example.com").exists()


def test_seed_makes_two_shared_canned_replies_and_one_of_sarahs():
    run_seed()
    assert set(CannedReply.objects.values_list("owner__email", "title")) == {
        (None, "Greeting"), (None, "Closing"), ("sarah@designpi.com", "Checking with the team")}


def test_seed_twice_changes_nothing():
    run_seed()
    first = snapshot()
    run_seed()
    assert snapshot() == first


def test_seed_keeps_existing_passwords():
    User.objects.create_user("sarah@designpi.com", "her-own-password", role=Role.STAFF, name="Sarah J.")
    run_seed()
    sarah = User.objects.get(email="sarah@designpi.com")
    assert sarah.check_password("her-own-password")
    assert sarah.name == "Sarah J."


def test_seed_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
    assert not User.objects.exists()


def test_seed_prints_the_demo_logins(capsys):
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", force=True, stdout=out)
    for user in load_demo_fixture()["users"]:
        assert user["email"] in out.getvalue()
        assert user["password"] in out.getvalue()


def test_scale_generates_consistent_rows():
    run_seed(scale=25, messages=4)
    generated = Conversation.objects.filter(customer__email__endswith=SCALE_EMAIL_DOMAIN)
    assert generated.count() == 25
    per_conversation = generated.annotate(n=Count("messages")).values_list("n", "last_seq")
    assert set(per_conversation) == {(4, 4)}
    for conversation in generated.select_related("ticket"):
        assert list(conversation.messages.values_list("seq", flat=True).order_by("seq")) == [1, 2, 3, 4]
        assert conversation.ticket.assigned_to_id == conversation.assigned_to_id
        assert conversation.ticket.status == conversation.status
        assert conversation.messages.get(seq=1).from_participant
    # A second --scale adds new customers rather than colliding with the first batch.
    run_seed(scale=5, messages=2)
    assert Conversation.objects.filter(customer__email__endswith=SCALE_EMAIL_DOMAIN).count() == 30
