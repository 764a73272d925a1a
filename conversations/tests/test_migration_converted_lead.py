"""conversations 0009 (and leads 0003): the participant constraint now lets a customer
conversation keep the lead it was converted from. Existing rows stay valid across the
migration (MariaDB re-checks them when the constraint is added), and the database still
refuses what it refused before, except that one new case."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# accounts named too, so the historical User model matches the users table then.
BEFORE = [("conversations", "0007_automatic_assignment"), ("leads", "0001_initial"),
          ("accounts", "0006_user_available_capacity")]
NOW = timezone.now()
AFTER = [("conversations", "0009_converted_lead_participant"), ("leads", "0003_lead_conversion")]


def migrate_to(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def migrate_to_latest():
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_the_change(transactional_db):
    """The schema before the two migrations; the latest again afterwards, even when the
    test fails (the schema outlives a transactional test)."""
    apps = migrate_to(BEFORE)
    try:
        yield apps
    finally:
        migrate_to_latest()
        from accounts.models import User
        from conversations.models import Conversation
        from leads.models import Lead

        Conversation.objects.all().delete()
        Lead.objects.all().delete()
        User.objects.all().delete()


def test_existing_rows_stay_valid_and_only_a_converted_leads_conversation_is_newly_allowed(before_the_change):
    apps = before_the_change
    Lead, Conversation = apps.get_model("leads", "Lead"), apps.get_model("conversations", "Conversation")
    # Going back to leads 0001 also takes back the accounts migrations that depend on
    # leads 0002 (the visitors' emails, then the mention preference): users come from the
    # historical model too.
    User = apps.get_model("accounts", "User")
    john, jane = (User.objects.create(email=email, name=email.split("@")[0].title(), role="customer", password="!")
                  for email in ("john@example.test", "jane@example.test"))
    alice = Lead.objects.create(name="Alice", email="alice@startup.test")
    johns = Conversation.objects.create(source="customer", customer_id=john.pk)
    alices = [Conversation.objects.create(source="lead", lead_id=alice.pk) for _ in range(2)]
    # Before: a customer conversation with a lead is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Conversation.objects.create(source="customer", customer_id=jane.pk, lead_id=alice.pk)

    apps = migrate_to(AFTER)
    Conversation = apps.get_model("conversations", "Conversation")
    Lead = apps.get_model("leads", "Lead")
    rows = list(Conversation.objects.order_by("pk").values_list("pk", "source", "customer_id", "lead_id"))
    assert rows == [(johns.pk, "customer", john.pk, None)] + [(c.pk, "lead", None, alice.pk) for c in alices]
    assert list(Lead.objects.values_list("status", "customer_id", "converted_at")) == [("new", None, None)]
    # After: a lead's conversation can become the customer's, keeping the lead.
    Conversation.objects.filter(pk=alices[0].pk).update(source="customer", customer_id=jane.pk)
    Lead.objects.filter(pk=alice.pk).update(status="converted", customer_id=jane.pk, converted_at=NOW)
    # Still refused: a lead conversation with a customer, no participant, a second
    # conversation for one customer, a lead linked to an account but not converted.
    for fields in ({"source": "lead", "lead_id": alice.pk, "customer_id": john.pk}, {"source": "customer"},
                   {"source": "lead"}, {"source": "customer", "customer_id": jane.pk, "lead_id": alice.pk}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Conversation.objects.create(**fields)
    other = Lead.objects.create(name="Bob", email="bob@else.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=other.pk).update(customer_id=john.pk, converted_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=other.pk).update(status="converted", customer_id=jane.pk,
                                                converted_at=NOW)  # one lead per account


def lead_search_finds(word) -> list[int]:
    """The lead ids the full-text index finds for ``word`` (what conversations/search.py asks)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT rowid FROM leads_lead_fts WHERE leads_lead_fts MATCH %s", [f'"{word}"'])
        else:
            cursor.execute("SELECT id FROM leads_lead WHERE MATCH(name, email, company) AGAINST (%s IN BOOLEAN MODE)",
                           [f'+"{word}"'])
        return sorted(row[0] for row in cursor.fetchall())


def test_the_lead_search_index_follows_writes_on_both_sides_of_the_migration(before_the_change):
    """On SQLite the migration rebuilds leads_lead, which drops the search triggers of
    conversations 0005; it puts them back, both ways (a lead renamed after the migration
    is found by its new name, and no longer by its old one)."""
    Lead = before_the_change.get_model("leads", "Lead")
    before = Lead.objects.create(name="Zebediah Before", email="zeb@before.test")
    Lead = migrate_to(AFTER).get_model("leads", "Lead")
    after = Lead.objects.create(name="Zebediah After", email="zeb@after.test")
    assert lead_search_finds("Zebediah") == [before.pk, after.pk]
    Lead.objects.filter(pk=before.pk).update(name="Quentin Renamed")
    assert lead_search_finds("Quentin") == [before.pk] and lead_search_finds("Zebediah") == [after.pk]
    Lead = migrate_to(BEFORE).get_model("leads", "Lead")
    Lead.objects.filter(pk=after.pk).update(name="Ulysses Back")
    assert lead_search_finds("Ulysses") == [after.pk] and lead_search_finds("Zebediah") == []
