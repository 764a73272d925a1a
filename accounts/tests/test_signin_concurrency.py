"""Parallel sign-in attempts cannot all slip under a ceiling (issue 9 A3, MariaDB).

Each attempt is counted before its password is checked and the count is read after,
so attempts racing past a ceiling at once are refused rather than all admitted.
"""

import pytest
from django.test import Client

from accounts.models import SignInFailure
from accounts.tests import hashers
from tests.concurrency import run_in_threads

ATTEMPTS = 12


@pytest.mark.mariadb
@pytest.mark.django_db(transaction=True)
def test_simultaneous_spraying_attempts_never_pass_the_address_ceiling(settings):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    settings.PASSWORD_HASHERS = ["accounts.tests.hashers.CountingMD5PasswordHasher"]
    hashers.calls.clear()

    def attempt(index):
        response = Client().post("/accounts/login/", {"username": f"nobody{index}@example.test",
                                                      "password": "Winter2026!"}, REMOTE_ADDR="203.0.113.10")
        return response.status_code

    statuses, errors = run_in_threads(attempt, ATTEMPTS)
    assert errors == [None] * ATTEMPTS
    assert set(statuses) <= {200, 429}, statuses
    admitted = statuses.count(200)
    assert admitted <= settings.SIGNIN_ADDRESS_FAILURE_LIMIT, statuses  # all refused is allowed under a race
    assert len(hashers.calls) == admitted  # only admitted attempts reached a password hash
    assert SignInFailure.objects.count() == admitted  # refused ones took their count back
