"""Issue 14: the "mentioned in a note" email preference.

On SQLite, adding a column rebuilds accounts_user, which drops the search triggers
conversations 0005 put on it: so this runs after 0005 and creates them again."""

from importlib import import_module

from django.db import migrations, models


def restore_user_search(apps, schema_editor):
    notes = import_module("conversations.migrations.0008_message_internal")
    notes.restore_sqlite_search(apps, schema_editor, tables=("accounts_user",))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_accountemail_visitor_link'),
        ('conversations', '0005_fulltext_search_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='notify_mentions',
            field=models.BooleanField(default=True, verbose_name='email me when a teammate mentions me in a note'),
        ),
        migrations.RunPython(restore_user_search, migrations.RunPython.noop),
    ]
