"""Store every email in lower case and keep it so (issue 9 A11).

SQLite compared emails case-sensitively, so "John@x" and "john@x" could both exist
and the case-insensitive sign-in lookup answered 500. Existing addresses are
lower-cased first; if two accounts differ only in case, the migration stops and names
them, because merging people is a decision for an admin, not for a migration.
"""

from collections import defaultdict

import django.db.models.functions.text
from django.db import migrations, models


class EmailCollision(Exception):
    pass


def lower_case_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    db = schema_editor.connection.alias
    by_lower = defaultdict(list)
    for pk, email in User.objects.using(db).order_by("pk").values_list("pk", "email"):
        by_lower[email.lower()].append((pk, email))
    collisions = {lower: accounts for lower, accounts in by_lower.items() if len(accounts) > 1}
    if collisions:
        listed = "; ".join(
            " and ".join(f"id {pk} ({email})" for pk, email in accounts) for accounts in collisions.values()
        )
        raise EmailCollision(
            f"Cannot make emails unique regardless of case: {len(collisions)} address(es) belong to more "
            f"than one account: {listed}. Keep one account per address (deactivate the other and change "
            f"its email, for example to old-<id>@invalid), then run migrate again."
        )
    for accounts in by_lower.values():
        pk, email = accounts[0]
        if email != email.lower():
            User.objects.using(db).filter(pk=pk).update(email=email.lower())


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(lower_case_emails, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("email", django.db.models.functions.text.Lower("email"))),
                name="user_email_lower_case",
                violation_error_message="Email addresses are stored in lower case.",
            ),
        ),
    ]
