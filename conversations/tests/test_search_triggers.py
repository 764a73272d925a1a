"""SQLite keeps its full-text indexes current through triggers (migration 0005). Django
rebuilds a table on SQLite when a migration adds a NOT NULL column or a constraint, and a
rebuild drops the table's triggers: every such migration on the message, user and lead
tables must create them again (0008_message_internal, accounts 0008, leads 0003). This
catches the next one that forgets: after all migrations, every trigger is there and each
index follows an insert, an update and a delete."""

import pytest
from django.db import connection

from accounts.models import Role, User
from conversations.models import Conversation
from conversations.search import parse_search, search_filter
from leads.models import Lead

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="triggers are SQLite's FTS5 upkeep; InnoDB keeps "
                       "its FULLTEXT indexes itself"),
]

TABLES = {"conversations_message": "conversations_message_fts", "accounts_user": "accounts_user_fts",
          "leads_lead": "leads_lead_fts"}


def test_every_search_trigger_exists_after_all_migrations():
    with connection.cursor() as cursor:
        cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        triggers = set(cursor.fetchall())
    for table, fts in TABLES.items():
        for suffix in ("insert", "update", "delete"):
            assert (table, f"{fts}_{suffix}") in triggers, f"{fts}_{suffix} on {table} is missing"


def _found(text):
    return set(Conversation.objects.filter(search_filter(parse_search(text))).values_list("pk", flat=True))


def test_the_user_and_lead_indexes_follow_writes():
    user = User.objects.create_user(email="quokka@example.test", password="x", name="Quentin Quokka",
                                    role=Role.CUSTOMER)
    customers = Conversation.objects.create(customer=user, source="customer")
    lead = Lead.objects.create(name="Wallaby Lead", email="wallaby@example.test")
    leads = Conversation.objects.create(lead=lead, source="lead")
    assert _found("quokka") == {customers.pk} and _found("wallaby") == {leads.pk}
    User.objects.filter(pk=user.pk).update(name="Quentin Numbat")
    Lead.objects.filter(pk=lead.pk).update(name="Numbat Lead")
    assert _found("numbat") == {customers.pk, leads.pk}
    assert _found("wallaby") == {leads.pk}  # still in the lead's email
    assert _found("kangaroo") == set()
