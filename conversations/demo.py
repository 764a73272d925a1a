"""Demo data (seed_demo): the people, leads and conversations in fixtures/demo.json,
created through the services, plus generated customers for benchmarks (--scale)."""

import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_create
from leads.models import Lead
from leads.services import lead_create
from replies.models import CannedReply
from replies.services import canned_reply_create
from tickets.models import Priority, SupportTicket

from .models import Conversation, Message, Source, Status
from .services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
    conversation_set_status,
    conversation_start_for_lead,
)

DEMO_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"
SCALE_EMAIL_DOMAIN = "scale.designpi.test"


@dataclass
class SeedReport:
    users_created: list = field(default_factory=list)
    leads_created: list = field(default_factory=list)
    conversations_created: int = 0
    messages_created: int = 0
    canned_replies_created: int = 0


def load_demo_fixture(path: Path = DEMO_FIXTURE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def seed_demo(data: dict | None = None) -> SeedReport:
    """Create whatever of the demo data is missing; touch nothing that exists.

    Existing users keep their passwords; a conversation that exists keeps its messages.
    """
    data = data or load_demo_fixture()
    report = SeedReport()
    with transaction.atomic():
        users = {}
        for spec in data["users"]:
            user = User.objects.filter(email__iexact=spec["email"]).first()
            if user is None:
                user = user_create(
                    email=spec["email"], password=spec["password"], name=spec["name"],
                    role=spec["role"], phone=spec.get("phone", ""), company=spec.get("company", ""),
                )
                report.users_created.append(user.email)
            users[user.email] = user

        leads = {}
        for spec in data["leads"]:
            lead = Lead.objects.filter(email__iexact=spec["email"]).first()
            if lead is None:
                lead = lead_create(actor=None, **spec)
                report.leads_created.append(lead.email)
            leads[lead.email] = lead

        admin = next(user for user in users.values() if user.role == Role.ADMIN)
        for spec in data["conversations"]:
            _seed_conversation(spec, users=users, leads=leads, admin=admin, report=report)
        for spec in data.get("canned_replies", []):
            _seed_canned_reply(spec, users=users, report=report)
    return report


def _seed_canned_reply(spec, *, users, report) -> None:
    """A shared reply (owner null) or a team member's own, unless one with that title exists."""
    owner = users[spec["owner"]] if spec.get("owner") else None
    if CannedReply.objects.filter(owner=owner, title=spec["title"]).exists():
        return
    canned_reply_create(actor=owner, title=spec["title"], body=spec["body"], shared=owner is None)
    report.canned_replies_created += 1


def _seed_conversation(spec, *, users, leads, admin, report) -> None:
    assignee = users[spec["assigned_to"]] if spec.get("assigned_to") else None
    if "customer" in spec:
        conversation, created = conversation_get_or_create_for_customer(customer=users[spec["customer"]])
    else:
        lead = leads[spec["lead"]]
        if lead.conversations.exists():
            return
        conversation, created = conversation_start_for_lead(actor=None, lead=lead), True
    if not created:
        return
    report.conversations_created += 1
    # Assign first, so the ticket the first customer message opens is assigned too.
    if assignee is not None:
        conversation_assign(actor=admin, conversation=conversation, assignee=assignee)
    for message in spec["messages"]:
        sender = None if message["from"] == "lead" else users[message["from"]]
        conversation_post_message(actor=sender, conversation=conversation, body=message["body"],
                                  internal=message.get("internal", False))
        report.messages_created += 1
    if spec.get("status", Status.OPEN) != conversation.status:
        conversation_set_status(actor=admin, conversation=conversation, status=spec["status"])


# Generated messages read like support chat, so the search benchmark has common words
# ("order" is in a third of them), and one rare word ("chargeback") in message 2 of
# every 1,000th conversation. Chosen by id, not by the random generator, so adding
# them changed none of the other generated values.
GENERATED_TOPICS = (
    "my order has not arrived yet",
    "the invoice total looks wrong",
    "how do I change my password",
    "the parcel arrived damaged",
    "can I get a refund for my order",
    "the tracking link shows nothing",
    "please update my delivery address",
    "where is my order",
)
RARE_WORD = "chargeback"


def _generated_body(conversation_pk: int, seq: int) -> str:
    topic = GENERATED_TOPICS[(conversation_pk + seq) % len(GENERATED_TOPICS)]
    if seq == 2 and conversation_pk % 1000 == 0:
        topic = f"I have opened a {RARE_WORD} with my bank"
    return f"Generated message {seq} in conversation {conversation_pk}: {topic}."


def seed_scale(count: int, *, messages_per_conversation: int = 10, batch_size: int = 1000, progress=None) -> int:
    """Add ``count`` generated customers, each with one conversation, messages and a ticket.

    Bulk inserts, not the per-message service: 10,000 conversations must take seconds.
    The rows are exactly what the services would write (seq 1..n, ticket opened by the
    customer's first message, assignee on conversation and ticket alike), and
    tests/test_seed.py checks them against the rules.
    """
    team = list(User.objects.team().filter(role=Role.STAFF).order_by("pk")) or list(User.objects.team().order_by("pk"))
    password = make_password(None)  # unusable: generated customers cannot sign in
    start = User.objects.filter(email__endswith="@" + SCALE_EMAIL_DOMAIN).count()
    rng = random.Random(start)
    statuses = [Status.OPEN] * 5 + [Status.PENDING] * 2 + [Status.RESOLVED] * 2 + [Status.CLOSED]
    now = timezone.now()
    made = 0
    while made < count:
        size = min(batch_size, count - made)
        with transaction.atomic():
            first = start + made + 1
            emails = [f"customer{n:07d}@{SCALE_EMAIL_DOMAIN}" for n in range(first, first + size)]
            User.objects.bulk_create(
                [User(email=email, name=f"Customer {first + i}", role=Role.CUSTOMER, password=password, company="Scale Test Ltd")
                 for i, email in enumerate(emails)],
                batch_size=batch_size,
            )
            customers = list(User.objects.filter(email__in=emails).order_by("pk"))
            conversations = []
            for i, customer in enumerate(customers):
                last_at = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
                conversations.append(Conversation(
                    customer=customer, source=Source.CUSTOMER, status=rng.choice(statuses),
                    assigned_to=team[i % len(team)] if team and rng.random() < 0.9 else None,
                    last_seq=messages_per_conversation, last_public_seq=messages_per_conversation, updated_at=last_at, last_message_at=last_at,
                ))
            Conversation.objects.bulk_create(conversations, batch_size=batch_size)
            conversations = list(Conversation.objects.filter(customer__in=customers).select_related("customer").order_by("pk"))
            messages, tickets = [], []
            for conversation in conversations:
                start_at = conversation.last_message_at - timedelta(minutes=messages_per_conversation)
                for seq in range(1, messages_per_conversation + 1):
                    from_customer = seq % 2 == 1
                    messages.append(Message(
                        conversation=conversation,
                        sender=conversation.customer if from_customer or conversation.assigned_to_id is None else conversation.assigned_to,
                        from_participant=from_customer or conversation.assigned_to_id is None,
                        body=_generated_body(conversation.pk, seq),
                        seq=seq,
                        public_seq=seq,
                        created_at=start_at + timedelta(minutes=seq),
                        read_at=None if seq == messages_per_conversation else start_at + timedelta(minutes=seq),
                    ))
                tickets.append(SupportTicket(
                    conversation=conversation, customer=conversation.customer, assigned_to_id=conversation.assigned_to_id,
                    subject=f"Support request from {conversation.customer.name}",
                    description=f"Generated message 1 in conversation {conversation.pk}.",
                    status=conversation.status, priority=rng.choice(Priority.values),
                ))
            Message.objects.bulk_create(messages, batch_size=batch_size * 2)
            SupportTicket.objects.bulk_create(tickets, batch_size=batch_size)
        made += size
        if progress is not None:
            progress(size)
    return made
