import factory

from accounts.models import Role, User
from leads.models import Lead, LeadStatus


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.CUSTOMER
    password = factory.django.Password("pw-for-tests-123")


class CustomerFactory(UserFactory):
    role = Role.CUSTOMER
    company = "Example Co"


class StaffFactory(UserFactory):
    role = Role.STAFF


class AdminFactory(UserFactory):
    role = Role.ADMIN


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"Lead {n}")
    email = factory.Sequence(lambda n: f"lead{n}@prospect.test")
    company = "Prospect Inc"
    status = LeadStatus.NEW


def bulk_messages(conversation, count, *, customer, team_member, read=True, start=None):
    """Append ``count`` messages to ``conversation`` in one INSERT, alternating between
    its customer and ``team_member``, a second apart: for threads too long to post
    through the service one by one. seq stays gap-free after the conversation's
    last_seq, and last_seq, last_message_at and updated_at follow as the service
    would leave them. Bodies say their seq ("Message 17"), so a page's order can be read."""
    from datetime import timedelta

    from django.utils import timezone

    from conversations.models import Conversation, Message

    start = start or timezone.now() - timedelta(seconds=count)
    first = conversation.last_seq + 1
    rows = []
    for seq in range(first, first + count):
        from_participant = seq % 2 == 1
        created = start + timedelta(seconds=seq - first)
        rows.append(Message(
            conversation=conversation, seq=seq, public_seq=seq, body=f"Message {seq}", created_at=created,
            from_participant=from_participant, sender=customer if from_participant else team_member,
            read_at=created if read else None,
        ))
    Message.objects.bulk_create(rows, batch_size=500)
    last = rows[-1].created_at
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=first + count - 1, last_public_seq=first + count - 1, last_message_at=last, updated_at=last)
    conversation.refresh_from_db()
    return conversation
