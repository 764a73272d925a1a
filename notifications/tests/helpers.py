"""Small helpers for the email tests: post/assign with the on-commit hooks run (the test's
transaction never commits), the clock moving on for queued retries, and the links of a
received email."""

import re
from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from notifications.models import Notification

LINK = re.compile(r"https?://testserver(/\S*)")


def links_in(text: str) -> list[str]:
    """The site paths linked from an email's text part."""
    return LINK.findall(text)


def time_passes(delta: timedelta = timedelta(hours=6)) -> None:
    """Everything queued for later (retries, watchdogs) becomes due: the clock moved on."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))
    Notification.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    Notification.objects.filter(claimed_at__isnull=False).update(claimed_at=timezone.now() - delta)
