"""Issue 14: internal notes and @mentions.

Every existing message is participant-visible, so its public_seq is its seq, and each
conversation's last_public_seq its last_seq. On SQLite, adding columns and constraints
rebuilds the message table, which drops the search triggers migration 0005 created: they
are created again at the end (and the index rebuilt), so search keeps working.
"""

from importlib import import_module

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def fill_public_seq(apps, schema_editor):
    Message = apps.get_model("conversations", "Message")
    Conversation = apps.get_model("conversations", "Conversation")
    Message.objects.update(public_seq=models.F("seq"))
    Conversation.objects.update(last_public_seq=models.F("last_seq"))


def restore_sqlite_search(apps, schema_editor, *, tables=("conversations_message",)):
    """Re-create 0005's FTS5 triggers on tables this migration rebuilt (SQLite only)."""
    if schema_editor.connection.vendor != "sqlite":
        return
    search = import_module("conversations.migrations.0005_fulltext_search_indexes")
    for table, fts, columns in search.INDEXED:
        if table not in tables:
            continue
        for suffix in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
        for statement in search._sqlite_create(table, fts, columns)[1:]:  # the FTS table is there
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('conversations', '0007_automatic_assignment'),
        ('conversations', '0005_fulltext_search_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Mention',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('cleared_at', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name='conversation',
            name='last_note_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='conversation',
            name='last_public_seq',
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='conversation',
            name='public_updated_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='message',
            name='internal',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='message',
            name='public_seq',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill_public_seq, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.UniqueConstraint(fields=('conversation', 'public_seq'), name='message_unique_public_seq'),
        ),
        migrations.AddConstraint(
            model_name='message',
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(('from_participant', False), ('internal', True), ('public_seq__isnull', True)),
                    models.Q(('internal', False), ('public_seq__isnull', False)),
                    _connector='OR',
                ),
                name='message_note_is_team_only',
            ),
        ),
        migrations.AddField(
            model_name='mention',
            name='conversation',
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name='mentions', to='conversations.conversation'
            ),
        ),
        migrations.AddField(
            model_name='mention',
            name='mentioned',
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name='mentions', to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddField(
            model_name='mention',
            name='message',
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name='mentions', to='conversations.message'
            ),
        ),
        migrations.AddIndex(
            model_name='mention',
            index=models.Index(fields=['mentioned', 'cleared_at', 'conversation'], name='mention_open_idx'),
        ),
        migrations.AddConstraint(
            model_name='mention',
            constraint=models.UniqueConstraint(fields=('message', 'mentioned'), name='mention_once_per_note'),
        ),
        migrations.RunPython(restore_sqlite_search, migrations.RunPython.noop),
    ]
