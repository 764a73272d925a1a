"""Deployment checks of our own settings (`manage.py check --deploy`), registered
from accounts.apps.AccountsConfig.ready."""

from django.conf import settings
from django.core.checks import Warning


def trusted_proxies_check(app_configs=None, **kwargs):
    warnings = []
    if settings.SECURE_PROXY_SSL_HEADER and not settings.TRUSTED_PROXIES:
        warnings.append(Warning(
            "BEHIND_TLS_PROXY is on but TRUSTED_PROXIES is empty: every sign-in attempt is keyed "
            "on the proxy's address, so five wrong passwords lock an account for everyone.",
            hint="Set TRUSTED_PROXIES to your reverse proxy's address or range (e.g. 127.0.0.1) "
                 "and make it append X-Forwarded-For (nginx: proxy_set_header X-Forwarded-For "
                 "$proxy_add_x_forwarded_for;).",
            id="designpi.W001",
        ))
    if any(getattr(network, "prefixlen", None) == 0 for network in settings.TRUSTED_PROXIES):
        warnings.append(Warning(
            "TRUSTED_PROXIES trusts every address (0.0.0.0/0 or ::/0): any client can choose the "
            "address its sign-in attempts are counted against.",
            hint="List only your reverse proxies' addresses or ranges.",
            id="designpi.W002",
        ))
    return warnings


def email_check(app_configs=None, **kwargs):
    """Production sends invitations, password resets and notifications: they must leave."""
    warnings = []
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend", "dummy.EmailBackend")):
        warnings.append(Warning(
            "EMAIL_URL is not set to a mail server: invitations, password resets and "
            "notifications are printed by the worker instead of sent.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 (README, Configuration).",
            id="designpi.W003",
        ))
    if not settings.SITE_URL.startswith("https://"):
        warnings.append(Warning(
            f"SITE_URL is {settings.SITE_URL!r}: the links in emails (password resets, "
            "invitations) would point at an address without TLS or at this machine.",
            hint="Set SITE_URL to the address people reach the app at, e.g. https://support.example.com.",
            id="designpi.W004",
        ))
    return warnings
