from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from designpi.checks import email_check, trusted_proxies_check
        from designpi.framing import widget_origins_check

        # A successful sign-in takes back the failure its credential check was counted as.
        user_logged_in.connect(_signin_succeeded, dispatch_uid="accounts.signin_succeeded")
        # designpi/ is not an app; its deployment checks are registered from here.
        checks.register(trusted_proxies_check, checks.Tags.security, deploy=True)
        checks.register(email_check, deploy=True)
        checks.register(widget_origins_check, checks.Tags.security)


def _signin_succeeded(sender, request, user, **kwargs):
    from . import signin_guard

    if request is not None:
        signin_guard.succeeded(request)
