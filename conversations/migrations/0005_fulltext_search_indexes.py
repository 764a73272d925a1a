"""Issue 13: the full-text indexes conversations/search.py queries.

MariaDB/MySQL: InnoDB FULLTEXT indexes on the message body and on the participant
fields (user and lead: name, email, company). InnoDB keeps them current itself. Adding
the first FULLTEXT index to a table rebuilds it (a hidden FTS_DOC_ID column): on a
large database this migration takes a while (about a minute for 1,000,000 messages).

SQLite: FTS5 external-content tables (they store only the index; the text stays in
the real tables), filled once here and kept current by triggers on every insert,
update and delete, bulk writes and raw SQL included.

Other backends get nothing, and search says it is not available there.
"""

from django.db import migrations

# (table, FTS5 table / index name, columns)
INDEXED = [
    ("conversations_message", "conversations_message_fts", ("body",)),
    ("accounts_user", "accounts_user_fts", ("name", "email", "company")),
    ("leads_lead", "leads_lead_fts", ("name", "email", "company")),
]


def _sqlite_create(table, fts, columns):
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        (f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='id', "
         "tokenize='unicode61 remove_diacritics 2')"),
        (f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN "
         f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"),
        (f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN "
         f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"),
        # Only when an indexed column changes: a user's last_login is not a reason to reindex.
        (f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols} ON {table} BEGIN "
         f"INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
         f"INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {new}); END"),
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def create_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, fts, columns in INDEXED:
        if vendor == "sqlite":
            for statement in _sqlite_create(table, fts, columns):
                schema_editor.execute(statement)
        elif vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} ADD FULLTEXT INDEX {fts} ({', '.join(columns)})")


def drop_indexes(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, fts, _columns in INDEXED:
        if vendor == "sqlite":
            for suffix in ("insert", "delete", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")
        elif vendor == "mysql":
            schema_editor.execute(f"ALTER TABLE {table} DROP INDEX {fts}")


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_message_client_token_per_sender"),
        ("accounts", "0004_user_time_zone_and_email_preferences"),
        ("leads", "0001_initial"),
    ]

    # Not atomic: MySQL cannot run DDL inside a transaction (its DDL commits anyway).
    operations = [migrations.RunPython(create_indexes, drop_indexes, atomic=False, elidable=False)]
