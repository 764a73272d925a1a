"""`bin/bench --emails` (issue 11): the email batching and how fast the queue drains.

1,000 participant messages across 100 conversations arrive within the delay (posted
through conversation_post_message, which queues one task per message on commit), then
the real worker (`manage.py db_worker --batch`, a subprocess on the benchmark database)
drains the queue to a real SMTP server on loopback (aiosmtpd). The row says how many
emails went out (at most one per conversation) and how long the drain took.
"""

import os
import subprocess
import sys
import time

from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection

from accounts.models import Role, User
from bench.run import machine_description, save_results
from bench.server import ROOT, free_port
from conversations.services import (
    conversation_assign,
    conversation_get_or_create_for_customer,
    conversation_post_message,
)

EMAIL_DOMAIN = "bench-email.test"


class _Count:
    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 OK"


def run_emails(options):
    from django_tasks_db.models import DBTaskResult, get_date_max

    call_command("migrate", verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", force=True, stdout=quiet)
    machine = machine_description(connection)
    print(f"Machine: {machine['cpu']} ({machine['cores']} cores), {machine['database']}", flush=True)
    conversations, per = options["email_conversations"], options["email_messages"]

    admin = User.objects.filter(role=Role.ADMIN, is_active=True).first()
    staff = list(User.objects.filter(role=Role.STAFF, is_active=True))
    started = time.monotonic()
    threads = []
    for index in range(conversations):
        customer, _ = User.objects.get_or_create(
            email=f"customer{index}@{EMAIL_DOMAIN}", defaults={"name": f"Customer {index}", "role": Role.CUSTOMER})
        conversation, _ = conversation_get_or_create_for_customer(customer=customer)
        conversation_assign(actor=admin, conversation=conversation, assignee=staff[index % len(staff)])
        threads.append((customer, conversation))
    DBTaskResult.objects.all().delete()  # the assignment emails are not what is measured
    for round_ in range(per):
        for customer, conversation in threads:
            conversation_post_message(actor=customer, conversation=conversation, body=f"Message {round_ + 1}")
    posted = time.monotonic() - started
    queued = DBTaskResult.objects.filter(status="READY").count()
    print(f"Posted {conversations * per:,} messages in {conversations:,} conversations ({posted:.1f} s), "
          f"{queued:,} tasks queued", flush=True)

    handler = _Count()
    port = free_port()
    smtp = Controller(handler, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {**os.environ, "EMAIL_URL": f"smtp://127.0.0.1:{port}", "NOTIFICATION_DELAY_SECONDS": "0"}
    worker = [sys.executable, "manage.py", "db_worker", "--batch", "--interval", "0", "--no-startup-delay",
              "--no-reload", "--verbosity", "0"]
    try:
        # The worker's own start and stop (Django set-up, imports), measured on a queue with
        # nothing due yet, so the drain below can be read without it.
        started = time.monotonic()
        subprocess.run(worker, cwd=ROOT, env=env, check=True)
        startup = time.monotonic() - started
        # The delay has passed: every queued task is due now.
        DBTaskResult.objects.update(run_after=get_date_max())
        started = time.monotonic()
        subprocess.run(worker, cwd=ROOT, env=env, check=True)
        drained = time.monotonic() - started
    finally:
        smtp.stop()
    ran = DBTaskResult.objects.filter(status="SUCCESSFUL").count()
    failed = DBTaskResult.objects.filter(status="FAILED").count()
    left = DBTaskResult.objects.filter(status="READY").count()  # watchdogs, due in SEND_LEASE
    results = {"machine": machine, "options": {"conversations": conversations, "messages_per_conversation": per},
               "emails": {"messages": conversations * per, "tasks_run": ran, "tasks_failed": failed,
                          "watchdogs_waiting": left, "emails_received": handler.received,
                          "drain_seconds": round(drained, 2), "worker_start_seconds": round(startup, 2),
                          "ms_per_email_after_start": round(1000 * (drained - startup) / max(handler.received, 1)), "emails_per_second": round(handler.received / drained, 1),
                          "tasks_per_second": round(ran / drained, 1)}}
    save_results(results, options, table=render_email_table(results), kind="-emails")


def render_email_table(results):
    e = results["emails"]
    row = (f"| {results['machine']['database']} | {e['messages']:,} ({results['options']['conversations']}) | "
           f"{e['emails_received']} | {e['tasks_run']:,} ({e['tasks_failed']} failed) | {e['drain_seconds']} s "
           f"(worker start {e['worker_start_seconds']} s) | {e['emails_per_second']} | {e['ms_per_email_after_start']} |")
    head = "| database | messages (conversations) | emails | tasks run | drain | emails/s | ms per email after start |"
    return f"{head}\n|---|---|---|---|---|---|---|\n{row}"
