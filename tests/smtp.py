"""A real SMTP server for the email tests: aiosmtpd on a free loopback port, which the
`smtp_server` fixture points Django's SMTP backend at. `stop()` and `start()` take the
server down and bring it back on the same port (the "SMTP down, then up" tests).

Work is sent by the real worker: `drain_queue()` runs `manage.py db_worker --batch` in
this process (the in-memory SQLite test database is not reachable from a subprocess);
tests on MariaDB may run it as a subprocess instead.
"""

import email
import email.policy
import logging
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

from bench.server import free_port


# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Collect:
    def __init__(self, box):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.box.received(envelope.rcpt_tos, message)
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()
        self._controller = None

    def received(self, rcpt_tos, message):
        with self._lock:
            self.recipients.append(list(rcpt_tos))
            self.messages.append(message)

    def start(self):
        if self._controller is None:
            self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
            self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        """The messages received for one address, in arrival order."""
        with self._lock:
            return [m for m, rcpt in zip(self.messages, self.recipients) if address in rcpt]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


def text_of(message, subtype: str = "plain") -> str:
    """The text/plain (or text/html) part of a received message, decoded."""
    return message.get_body(preferencelist=(subtype,)).get_content()


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def drain_queue():
    """Run every task that is due now with the real worker, then return."""
    call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
