"""Ceilings above the per-(account, address) lock (issue 9 A3; SECURITY_CASES 8, 20, 21).

* per account, from every address: a slow guesser spread over many addresses;
* per client network (IPv4 address, IPv6 /64), over every account: password spraying,
  stopped before any password is hashed, unknown emails included.

Small ceilings are set per test through the settings the environment fills in.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import SignInFailure
from accounts.tests import hashers
from tests.personas import PASSWORD

LOGIN_URL = "/accounts/login/"
HOME_IP = "203.0.113.10"
LOCK_ANSWER = "Sign-in paused"


def sign_in(email, password, ip):
    return Client().post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def is_signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def assert_locked(response):
    assert response.status_code == 429 and LOCK_ANSWER in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def without_csrf_token(response) -> str:
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


@pytest.fixture
def small_ceilings(settings):
    settings.SIGNIN_ACCOUNT_FAILURE_LIMIT = 6
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 4
    return settings


@pytest.fixture
def counting_hashers(settings, db):
    """Real Argon2 (what production hashes with) and MD5 (the personas' stored hashes)."""
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.CountingArgon2PasswordHasher",
                                 "accounts.tests.hashers.CountingMD5PasswordHasher"]
    hashers.calls.clear()
    return hashers.calls


# --- per account, from every address ------------------------------------------------

def test_an_account_is_held_back_after_its_ceiling_from_any_number_of_addresses(small_ceilings, john):
    limit = small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT
    for index in range(limit):  # one guess per address: the per-(account, address) lock never trips
        assert sign_in(john.email, "wrong-password", f"198.51.100.{index}").status_code == 200
    assert_locked(sign_in(john.email, PASSWORD, "198.51.100.200"))
    assert not AccessAttempt.objects.filter(failures_since_start__gte=django_settings.AXES_FAILURE_LIMIT).exists()


def test_the_account_ceiling_answers_like_any_lock_and_reveals_nothing_about_the_account(small_ceilings, john):
    limit = small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT
    for email in (john.email, "nobody@example.test"):
        for index in range(limit):
            sign_in(email, "wrong-password", f"198.51.100.{index}")
    known = sign_in(john.email, PASSWORD, "198.51.100.201")
    unknown = sign_in("nobody@example.test", PASSWORD, "198.51.100.202")
    # The ordinary per-(account, address) lock, for comparison.
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        sign_in("someone@example.test", "wrong-password", "192.0.2.9")
    ordinary = sign_in("someone@example.test", "wrong-password", "192.0.2.9")
    assert known.status_code == unknown.status_code == ordinary.status_code == 429
    assert without_csrf_token(known) == without_csrf_token(unknown) == without_csrf_token(ordinary)


def test_the_owner_keeps_signing_in_from_a_known_address_while_strangers_are_held_back(small_ceilings, john):
    """SECURITY_CASES 21: strangers cannot lock the owner out for good."""
    assert is_signed_in(sign_in(john.email, PASSWORD, HOME_IP))  # axes logs the address
    for index in range(small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT + 3):
        sign_in(john.email, "wrong-password", f"198.51.100.{index}")
    assert_locked(sign_in(john.email, PASSWORD, "198.51.100.250"))
    assert is_signed_in(sign_in(john.email, PASSWORD, HOME_IP))


def test_a_known_ipv6_address_is_known_by_its_64(small_ceilings, john):
    assert is_signed_in(sign_in(john.email, PASSWORD, "2001:db8:1:2::10"))
    for index in range(small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT):
        sign_in(john.email, "wrong-password", f"2001:db8:ff:{index}::1")
    assert is_signed_in(sign_in(john.email, PASSWORD, "2001:db8:1:2:aaaa::77"))  # privacy address, same /64
    assert_locked(sign_in(john.email, PASSWORD, "2001:db8:1:3::10"))


def test_the_exemption_can_be_turned_off(small_ceilings, john):
    small_ceilings.SIGNIN_KNOWN_ADDRESS_DAYS = 0
    assert is_signed_in(sign_in(john.email, PASSWORD, HOME_IP))
    for index in range(small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT):
        sign_in(john.email, "wrong-password", f"198.51.100.{index}")
    assert_locked(sign_in(john.email, PASSWORD, HOME_IP))


def test_the_account_ceiling_ends_when_its_window_has_passed(small_ceilings, john):
    for index in range(small_ceilings.SIGNIN_ACCOUNT_FAILURE_LIMIT):
        sign_in(john.email, "wrong-password", f"198.51.100.{index}")
    assert_locked(sign_in(john.email, PASSWORD, "198.51.100.200"))
    window = timedelta(minutes=small_ceilings.SIGNIN_ACCOUNT_WINDOW_MINUTES)
    SignInFailure.objects.update(at=timezone.now() - window - timedelta(seconds=5))
    assert is_signed_in(sign_in(john.email, PASSWORD, "198.51.100.200"))


# --- per network, over every account (spraying) ---------------------------------------

def test_spraying_unknown_emails_stops_at_the_address_ceiling_before_any_password_is_hashed(
        small_ceilings, counting_hashers):
    """Each unknown email costs ModelBackend one Argon2 hash; past the ceiling, none."""
    limit = small_ceilings.SIGNIN_ADDRESS_FAILURE_LIMIT
    for index in range(limit):
        assert sign_in(f"nobody{index}@example.test", "Winter2026!", HOME_IP).status_code == 200
    assert counting_hashers == ["argon2.encode"] * limit
    for index in range(limit, limit + 5):
        assert_locked(sign_in(f"nobody{index}@example.test", "Winter2026!", HOME_IP))
    assert counting_hashers == ["argon2.encode"] * limit  # refused before the hasher
    # Another address is not affected.
    assert sign_in("nobody99@example.test", "Winter2026!", "198.51.100.5").status_code == 200


def test_the_address_ceiling_holds_real_accounts_too_even_with_the_right_password(small_ceilings, john, jane):
    for index in range(small_ceilings.SIGNIN_ADDRESS_FAILURE_LIMIT):
        sign_in(f"user{index}@example.test", "wrong-password", HOME_IP)
    assert_locked(sign_in(jane.email, PASSWORD, HOME_IP))
    assert is_signed_in(sign_in(jane.email, PASSWORD, "198.51.100.5"))


def test_ipv6_addresses_count_by_their_64_and_ipv4_by_address(small_ceilings, john):
    limit = small_ceilings.SIGNIN_ADDRESS_FAILURE_LIMIT
    for index in range(limit):  # a new address inside one /64 for every guess
        sign_in(f"user{index}@example.test", "wrong-password", f"2001:db8:1:2::{index + 1:x}")
    assert_locked(sign_in(john.email, PASSWORD, "2001:db8:1:2:ffff:ffff:ffff:ffff"))
    assert is_signed_in(sign_in(john.email, PASSWORD, "2001:db8:1:3::1"))  # the next /64
    for index in range(limit):
        sign_in(f"user{index}@example.test", "wrong-password", "192.0.2.1")
    assert_locked(sign_in(john.email, PASSWORD, "192.0.2.1"))
    assert is_signed_in(sign_in(john.email, PASSWORD, "192.0.2.2"))  # IPv4: the address itself


def test_successful_sign_ins_do_not_count_toward_any_ceiling(small_ceilings, john):
    for _ in range(small_ceilings.SIGNIN_ADDRESS_FAILURE_LIMIT + 2):
        assert is_signed_in(sign_in(john.email, PASSWORD, HOME_IP))
    assert not SignInFailure.objects.exists()


def test_a_success_does_not_clear_the_address_count_for_a_sprayer_holding_one_account(small_ceilings, john):
    """axes' reset-on-success clears every parameter set; our counter is not reset."""
    limit = small_ceilings.SIGNIN_ADDRESS_FAILURE_LIMIT
    for index in range(limit - 1):
        sign_in(f"user{index}@example.test", "wrong-password", HOME_IP)
    assert is_signed_in(sign_in(john.email, PASSWORD, HOME_IP))
    sign_in("last@example.test", "wrong-password", HOME_IP)
    assert_locked(sign_in("more@example.test", "wrong-password", HOME_IP))


def test_the_defaults_are_the_documented_ones():
    assert django_settings.SIGNIN_ACCOUNT_FAILURE_LIMIT == 50
    assert django_settings.SIGNIN_ACCOUNT_WINDOW_MINUTES == 60
    assert django_settings.SIGNIN_ADDRESS_FAILURE_LIMIT == 100
    assert django_settings.SIGNIN_ADDRESS_WINDOW_MINUTES == 60
    assert django_settings.SIGNIN_KNOWN_ADDRESS_DAYS == 30


# --- keeping the records bounded --------------------------------------------------------

def axes_row(model, at):
    # attempt_time is auto_now_add: set the moment after the insert.
    row = model.objects.create(username="a@example.test", ip_address="192.0.2.1", user_agent="t",
                               http_accept="*/*", path_info=LOGIN_URL)
    model.objects.filter(pk=row.pk).update(attempt_time=at)


@pytest.mark.django_db
def test_signin_cleanup_deletes_what_no_longer_counts_and_keeps_the_rest():
    now = timezone.now()
    old, recent = now - timedelta(days=40), now - timedelta(minutes=5)
    for at in (old, now - timedelta(minutes=61), recent):
        SignInFailure.objects.create(account="a@example.test", network="192.0.2.1", at=at)
    for at in (old, recent):
        axes_row(AccessFailureLog, at)
        axes_row(AccessLog, at)
    # 20 days is within SIGNIN_KNOWN_ADDRESS_DAYS (30): the known addresses outlive --days 10.
    axes_row(AccessLog, now - timedelta(days=20))

    call_command("signin_cleanup", "--days", "10")

    assert list(SignInFailure.objects.values_list("at", flat=True)) == [recent]
    assert list(AccessFailureLog.objects.values_list("attempt_time", flat=True)) == [recent]
    assert sorted(AccessLog.objects.values_list("attempt_time", flat=True)) == [now - timedelta(days=20), recent]


def test_signin_cleanup_refuses_a_nonsense_age(db):
    with pytest.raises(SystemExit):
        call_command("signin_cleanup", "--days", "0")
