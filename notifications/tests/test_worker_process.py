"""The worker as production runs it: `manage.py db_worker`, a separate process, killed
and started again. Queued email work lives in the database, so it survives the restart
and goes out once. MariaDB only: the subprocess must reach the test database over TCP
(SQLite's test database lives in this process's memory)."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django_tasks_db.models import DBTaskResult

from bench.server import ROOT
from conversations.services import conversation_post_message
from notifications.models import QueuedBatch
from tests.serving import database_url

NEEDS_SERVER_DATABASE = (
    "needs MariaDB/MySQL: the worker runs in a subprocess that must reach the test database over "
    "the network. The same tasks run in-process on every database (test_delivery.py)."
)

pytestmark = [pytest.mark.mariadb(reason=NEEDS_SERVER_DATABASE), pytest.mark.django_db(transaction=True)]


def start_worker(smtp_port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
           "SITE_URL": "http://testserver", "DEBUG": "false", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-startup-delay", "--no-reload"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)  # no clean shutdown: as a crash or an OOM kill would
    process.wait(timeout=10)


def test_queued_emails_survive_a_killed_worker_and_go_out_once(world, smtp_server, settings):
    # The world was built in committed transactions, so it queued its own emails: not these.
    DBTaskResult.objects.all().delete()
    QueuedBatch.objects.all().delete()
    settings.NOTIFICATION_DELAY_SECONDS = 3
    worker = start_worker(smtp_server.port)
    try:
        time.sleep(1.5)  # up and polling
        conversation_post_message(actor=world["john"], conversation=world["johns"], body="Queued before the crash")
        conversation_post_message(actor=world["mike"], conversation=world["janes"], body="For Jane")
        kill(worker)
        time.sleep(4)  # the delay passes with no worker running
        assert smtp_server.messages == []

        worker = start_worker(smtp_server.port)
        messages = smtp_server.wait_for(2, timeout=30)
        assert sorted(r[0] for r in smtp_server.recipients) == ["jane@example.test", "sarah@designpi.test"]
        assert any("Queued before the crash" in m.get_body(("plain",)).get_content() for m in messages)

        # Killed and started again once more: nothing is sent twice.
        kill(worker)
        worker = start_worker(smtp_server.port)
        time.sleep(3)
        assert len(smtp_server.messages) == 2
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
