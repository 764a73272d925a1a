"""The two kinds of link an email carries to set a password: an invitation and a reset.

Both are Django's PasswordResetTokenGenerator tokens (HMAC of the account's id, password
hash, last sign-in and email, with a timestamp): a link works for one account only, stops
working once a password is set (the hash changes) and expires. Each kind has its own
key_salt, so a reset token is no invitation and the other way round (SECURITY_CASES 35).
The token is made by the worker when the email is sent: no secret waits in the task table.
"""

from django.conf import settings
from django.contrib.auth.tokens import (
    PasswordResetTokenGenerator,
    default_token_generator,
)
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

password_reset_tokens = default_token_generator  # Django's views use it; PASSWORD_RESET_TIMEOUT


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """Like the reset token, with its own salt and its own age (INVITATION_MAX_AGE_DAYS):
    Django's check_token reads PASSWORD_RESET_TIMEOUT, so the check is written out here."""

    key_salt = "accounts.tokens.InvitationTokenGenerator"

    def check_token(self, user, token):
        if not (user and token):
            return False
        try:
            timestamp_b36, _ = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        if self._num_seconds(self._now()) - timestamp > settings.INVITATION_MAX_AGE_DAYS * 24 * 3600:
            return False
        return any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        )


invitation_tokens = InvitationTokenGenerator()
