"""Keep the sign-in records bounded; run it daily (cron, a systemd timer).

* the ceiling counters (accounts.SignInFailure) older than the longer window: they
  no longer count for anything;
* axes' failure log (every refused sign-in) older than --days, through axes' own
  handler, as `axes_reset_failure_logs --age` would;
* axes' access log (successful sign-ins) older than --days, but never younger than
  SIGNIN_KNOWN_ADDRESS_DAYS: it is where the per-account ceiling learns the addresses
  an account usually signs in from.
"""

from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.services import signin_records_prune
from leads.visitor import contact_attempts_prune


class Command(BaseCommand):
    help = "Delete sign-in counters past their window and sign-in logs older than --days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30,
                            help="Keep the sign-in failure and access logs this many days (default 30).")

    def handle(self, *args, days, **options):
        if days < 1:
            self.stderr.write("--days must be 1 or more.")
            raise SystemExit(2)
        window = max(settings.SIGNIN_ACCOUNT_WINDOW_MINUTES, settings.SIGNIN_ADDRESS_WINDOW_MINUTES)
        counters = signin_records_prune(older_than=timezone.now() - timedelta(minutes=window))
        failures = AxesProxyHandler.reset_failure_logs(age_days=days)
        accesses = AxesProxyHandler.reset_logs(age_days=max(days, settings.SIGNIN_KNOWN_ADDRESS_DAYS))
        # The contact chat's limit counters (leads.ContactAttempt): the longest window is an hour.
        contact = contact_attempts_prune(older_than=timezone.now() - timedelta(days=1))
        self.stdout.write(
            f"Deleted {counters} sign-in counters, {failures} failure log rows, {accesses} access log rows "
            f"and {contact} contact limit counters."
        )
