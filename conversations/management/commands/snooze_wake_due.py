"""Wake every snoozed conversation whose time has come.

The worker's per-snooze task (conversations/tasks.py) is the main path; this sweep is
the safety net for a task that was lost (a queue cleared, a restore from backup). Run it
from cron or a systemd timer, e.g. every 5 minutes; it is idempotent.
"""

from django.core.management.base import BaseCommand

from conversations.services import conversation_wake_due


class Command(BaseCommand):
    help = "Set OPEN every snoozed conversation whose snooze has ended."

    def handle(self, *args, **options):
        woke = conversation_wake_due()
        self.stdout.write(f"Woke {woke} snoozed conversation(s).")
