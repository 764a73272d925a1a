"""The first authentication backend: a gate, not a way in (it never returns a user).

Django's authenticate() asks the backends in order and stops at the first
PermissionDenied, so refusing here means nothing after it runs: no axes query, and
above all no password hash (an unknown email still costs ModelBackend one Argon2
hash). authenticate() then sends user_login_failed, which axes records as usual.
"""

from django.core.exceptions import PermissionDenied

from . import signin_guard


class SignInGuardBackend:
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # no address to judge; axes' backend refuses request-less checks
        if not signin_guard.admit(request, username):
            raise PermissionDenied("sign-in refused before the password was checked")
        return None
