"""Brute-force protection on the sign-in page (django-axes), SECURITY_CASES 8, 20, 21.

Everything goes through the real LoginView, form and middleware stack. Failures are
kept in the database (axes' database handler), so every gunicorn worker and host
sees the same count; the MariaDB test in tests/test_faults.py repeats the
lockout against several real gunicorn workers.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from designpi.client_ip import parse_trusted_proxies
from tests.answers import comparable
from tests.factories import CustomerFactory
from tests.personas import PASSWORD

LOGIN_URL = "/accounts/login/"
LIMIT = settings.AXES_FAILURE_LIMIT
HOME_IP = "203.0.113.10"
ATTACKER_IP = "198.51.100.66"
PROXY_IP = "10.0.0.2"


def sign_in(email, password, *, ip=HOME_IP, client=None, **extra):
    client = client or Client(REMOTE_ADDR=ip)
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def fail(email, times, **kwargs):
    for _ in range(times):
        response = sign_in(email, "wrong-password", **kwargs)
        assert response.status_code in (200, 429)
    return response


def is_signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def assert_locked(response):
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in paused" in body
    assert "_auth_user_id" not in response.wsgi_request.session


def without_csrf_token(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def test_right_password_signs_in(john):
    assert is_signed_in(sign_in(john.email, PASSWORD))


def test_unknown_email_wrong_password_and_inactive_account_look_the_same(john):
    """SECURITY_CASES 8: the whole answer (status, headers, cookies, body) is the same,
    apart from the CSRF token and nonce and the typed email shown back in its field.
    Same-length addresses, so even Content-Length cannot tell them apart."""
    inactive = CustomerFactory(email="jake@example.test", is_active=False)
    unknown_email = "jxhn@example.test"
    assert len(unknown_email) == len(john.email) == len(inactive.email)
    assert not User.objects.filter(email=unknown_email).exists()
    answers = {
        "unknown email": comparable(sign_in(unknown_email, "wrong-password"), typed_email=unknown_email),
        "wrong password": comparable(sign_in(john.email, "wrong-password"), typed_email=john.email),
        "inactive account": comparable(sign_in(inactive.email, PASSWORD), typed_email=inactive.email),
    }
    assert answers["wrong password"]["status"] == 200
    assert "That email and password do not match an active account." in answers["wrong password"]["body"]
    assert answers["unknown email"] == answers["wrong password"] == answers["inactive account"]


def test_repeated_failures_lock_the_account_from_that_address_even_with_the_right_password(john):
    """SECURITY_CASES 20."""
    fail(john.email, LIMIT - 1)
    assert is_signed_in(sign_in(john.email, PASSWORD))  # under the limit a success still works (and resets)
    fail(john.email, LIMIT)
    assert_locked(sign_in(john.email, PASSWORD))
    # Kept in the database, not in a process: a fresh client (another worker) sees it.
    assert AccessAttempt.objects.filter(username=john.email, ip_address=HOME_IP).exists()
    assert_locked(sign_in(john.email, PASSWORD, client=Client()))


def test_the_lock_message_is_generic_for_known_and_unknown_accounts(john):
    fail(john.email, LIMIT)
    fail("nobody@example.test", LIMIT)
    known = sign_in(john.email, PASSWORD)
    unknown = sign_in("nobody@example.test", PASSWORD)
    assert known.status_code == unknown.status_code == 429
    assert without_csrf_token(known) == without_csrf_token(unknown)
    assert john.email not in known.content.decode()


def test_the_lock_ends_after_the_cool_off(john):
    fail(john.email, LIMIT)
    assert_locked(sign_in(john.email, PASSWORD))
    # Let the cool-off pass: the stored attempts are now older than AXES_COOLOFF_TIME.
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - cool_off - timedelta(seconds=5))
    assert is_signed_in(sign_in(john.email, PASSWORD))


def test_the_cool_off_is_minutes_not_forever():
    assert 0 < settings.AXES_COOLOFF_TIME <= 1  # hours


def test_changing_the_case_or_user_agent_of_the_email_does_not_buy_more_guesses(john):
    for index in range(LIMIT):
        variant = john.email.upper() if index % 2 else f"  {john.email.title()} "
        sign_in(variant, "wrong-password", HTTP_USER_AGENT=f"agent-{index}")
    assert_locked(sign_in(john.email, PASSWORD, HTTP_USER_AGENT="another-agent"))


def test_the_lock_is_per_account_and_address_so_nobody_locks_the_owner_out_from_elsewhere(john, jane):
    """SECURITY_CASES 21: the attacker's address is locked, the owner's is not."""
    fail(john.email, LIMIT + 3, ip=ATTACKER_IP)
    assert_locked(sign_in(john.email, PASSWORD, ip=ATTACKER_IP))
    assert is_signed_in(sign_in(john.email, PASSWORD, ip=HOME_IP))
    # Other accounts from the attacker's address are not locked by John's lock either.
    assert is_signed_in(sign_in(jane.email, PASSWORD, ip=ATTACKER_IP))


def test_a_spoofed_forwarded_for_neither_bypasses_nor_resets_the_lock_without_a_proxy(john):
    """No trusted proxy (the default): X-Forwarded-For is ignored entirely."""
    assert settings.TRUSTED_PROXIES == ()
    for index in range(LIMIT):
        sign_in(john.email, "wrong-password", ip=ATTACKER_IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
    assert_locked(sign_in(john.email, PASSWORD, ip=ATTACKER_IP, HTTP_X_FORWARDED_FOR=HOME_IP))
    assert AccessAttempt.objects.get().ip_address == ATTACKER_IP


def test_behind_one_proxy_the_client_address_is_the_one_the_proxy_saw(john, settings):
    """TRUSTED_PROXIES=<nginx>: nginx appends the real client address to X-Forwarded-For;
    whatever the client put in front of it is ignored (SECURITY_CASES 21)."""
    settings.TRUSTED_PROXIES = parse_trusted_proxies(PROXY_IP)
    for index in range(LIMIT):
        # The attacker varies its own header; the proxy appends its real address.
        sign_in(john.email, "wrong-password", ip=PROXY_IP, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, {ATTACKER_IP}")
    assert AccessAttempt.objects.get().ip_address == ATTACKER_IP
    assert_locked(sign_in(john.email, PASSWORD, ip=PROXY_IP, HTTP_X_FORWARDED_FOR=f"{HOME_IP}, {ATTACKER_IP}"))
    # John, arriving through the same proxy from his own address, is not locked out.
    assert is_signed_in(sign_in(john.email, PASSWORD, ip=PROXY_IP, HTTP_X_FORWARDED_FOR=HOME_IP))


def test_behind_two_proxies_the_first_untrusted_address_from_the_right_is_the_client(john, settings):
    """A load balancer and nginx (TRUSTED_PROXIES=10.0.0.0/24): both hops are walked past."""
    settings.TRUSTED_PROXIES = parse_trusted_proxies("10.0.0.0/24")
    fail(john.email, LIMIT, ip=PROXY_IP, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ATTACKER_IP}, 10.0.0.1")
    assert AccessAttempt.objects.get().ip_address == ATTACKER_IP
    # A request that reached gunicorn without passing a proxy is keyed on the connection, not the header.
    fail(john.email, 1, ip="192.0.2.77", HTTP_X_FORWARDED_FOR="6.6.6.6, 10.0.0.1")
    assert AccessAttempt.objects.filter(ip_address="192.0.2.77").exists()
    assert not AccessAttempt.objects.filter(ip_address="6.6.6.6").exists()


def test_django_admin_login_is_protected_too(admin_user):
    for _ in range(LIMIT):
        Client(REMOTE_ADDR=HOME_IP).post("/django-admin/login/", {"username": admin_user.email, "password": "nope"},
                                         REMOTE_ADDR=HOME_IP)
    response = Client().post("/django-admin/login/", {"username": admin_user.email, "password": PASSWORD},
                             REMOTE_ADDR=HOME_IP)
    assert response.status_code == 429


def test_admins_see_and_clear_lockouts_in_the_django_admin(john, admin_user):
    fail(john.email, LIMIT)
    assert AccessFailureLog.objects.filter(username=john.email).count() == LIMIT
    admin = Client()
    admin.force_login(admin_user)

    attempts = admin.get("/django-admin/axes/accessattempt/")
    assert attempts.status_code == 200 and john.email in attempts.content.decode()
    failures = admin.get("/django-admin/axes/accessfailurelog/")
    assert failures.status_code == 200 and john.email in failures.content.decode()

    attempt = AccessAttempt.objects.get()
    response = admin.post(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert is_signed_in(sign_in(john.email, PASSWORD))


def test_the_reset_command_in_security_md_clears_a_lock(john):
    fail(john.email, LIMIT)
    call_command("axes_reset_username", john.email)
    assert is_signed_in(sign_in(john.email, PASSWORD))


@pytest.mark.parametrize("persona", ["sarah", "john"])
def test_non_admins_cannot_see_lockouts(persona, request, john):
    fail(john.email, LIMIT)
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/django-admin/axes/accessattempt/")
    assert response.status_code == 302
    assert john.email not in response.content.decode()
