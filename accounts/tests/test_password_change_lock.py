"""Password change and the sign-in lock (issue 9 A4; SECURITY_CASES 20).

A wrong old password on /accounts/password/ is a failed sign-in of that account from
that address; a locked account's change is refused with the lock answer before the old
password is hashed.
"""

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import SignInFailure
from accounts.tests import hashers
from tests.personas import PASSWORD, client_for

CHANGE_URL = "/accounts/password/"
LIMIT = django_settings.AXES_FAILURE_LIMIT
HOME_IP = "203.0.113.10"
NEW_PASSWORD = "a-much-better-pass-42"


def change(client, old_password, ip=HOME_IP):
    return client.post(CHANGE_URL, {
        "old_password": old_password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    }, REMOTE_ADDR=ip)


def sign_in(email, password, ip=HOME_IP):
    return Client().post("/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def assert_locked(response):
    assert response.status_code == 429 and "Sign-in paused" in response.content.decode()


def assert_password_unchanged(user):
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)


@pytest.fixture
def counting_hashers(settings, db):
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.CountingMD5PasswordHasher"]
    hashers.calls.clear()
    return hashers.calls


def test_wrong_old_passwords_count_toward_the_sign_in_lock(john):
    client = client_for(john)
    for _ in range(LIMIT - 1):
        response = change(client, "wrong-password")
        assert response.status_code == 200 and "Your old password was entered incorrectly" in response.content.decode()
    assert AccessAttempt.objects.get(username=john.email, ip_address=HOME_IP).failures_since_start == LIMIT - 1
    assert_locked(change(client, "wrong-password"))  # the last allowed failure locks, like a sign-in
    # The same lock as sign-in: from that address, the right password no longer signs in.
    assert_locked(sign_in(john.email, PASSWORD))
    assert_password_unchanged(john)


def test_a_locked_account_cannot_change_its_password_and_the_old_one_is_not_hashed(john, counting_hashers):
    for _ in range(LIMIT):
        sign_in(john.email, "wrong-password")
    counting_hashers.clear()
    response = change(client_for(john), PASSWORD)  # the right old password
    assert_locked(response)
    assert counting_hashers == []  # refused before the old password was hashed
    assert_password_unchanged(john)


def test_the_account_ceiling_also_refuses_a_password_change(settings, john, counting_hashers):
    settings.SIGNIN_ACCOUNT_FAILURE_LIMIT = 3
    for index in range(3):
        sign_in(john.email, "wrong-password", f"198.51.100.{index}")
    counting_hashers.clear()
    assert_locked(change(client_for(john), PASSWORD, ip="198.51.100.99"))
    assert counting_hashers == []
    assert_password_unchanged(john)


def test_the_lock_is_per_account_and_address_for_password_changes_too(john):
    client = client_for(john)
    for _ in range(LIMIT):
        change(client, "wrong-password", ip="198.51.100.66")
    response = change(client, PASSWORD, ip=HOME_IP)
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    john.refresh_from_db()
    assert john.check_password(NEW_PASSWORD)


def test_a_right_old_password_under_the_limit_changes_it_and_counts_nothing(john):
    client = client_for(john)
    change(client, "wrong-password")
    response = change(client, PASSWORD)
    assert response.status_code == 302
    john.refresh_from_db()
    assert john.check_password(NEW_PASSWORD)
    assert SignInFailure.objects.count() == 1  # the one wrong try, not the right one
