"""Test-wide fixtures. Environment defaults for the test run are in pytest.ini (pytest-env)."""

pytest_plugins = ["tests.personas"]

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are about hashing read designpi.settings directly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
