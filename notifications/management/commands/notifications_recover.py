"""Queue again the email tasks (notifications and account emails) a stopped worker left
"running".

django-tasks-db's worker marks a task RUNNING when it starts it and has no recovery of
its own: a worker killed mid-task leaves the row RUNNING for ever. Every email task is
idempotent (the Notification key and its claim; the AccountEmail row's claim), so running one again is
always safe, even while another worker is still running the original: this command
queues a fresh copy of each and marks the stale row failed. The systemd unit runs it
before every (re)start of the worker (README "Deploying"); bin/dev runs it at start.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.tasks import send_account_email
from notifications import tasks

TASKS = {task.module_path: task for task in (
    tasks.notify_unread, tasks.notify_assignment, tasks.deliver_notification, send_account_email,
)}


class WorkerStopped(Exception):
    """Recorded on the stale row: its worker stopped while running it."""


class Command(BaseCommand):
    help = "Queue again the email tasks a stopped worker left running."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=0,
                            help="only tasks started at least this many seconds ago (default 0: all)")

    def handle(self, *args, older_than, **options):
        since = timezone.now() - timedelta(seconds=older_than)
        stale = DBTaskResult.objects.running().filter(task_path__in=TASKS, started_at__lte=since)
        count = 0
        for row in stale:
            TASKS[row.task_path].enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
            row.set_failed(WorkerStopped("The worker stopped while running this task; it was queued again."))
            count += 1
        self.stdout.write(f"Queued again {count} email task(s) left running by a stopped worker.")
