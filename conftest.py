"""Test-wide fixtures. Environment defaults for the test run are in pytest.ini (pytest-env)."""

pytest_plugins = ["tests.personas"]

import pytest

ROW_LOCKS = (
    "needs MariaDB/MySQL: SQLite ignores SELECT ... FOR UPDATE, so row-lock races "
    "cannot happen there. CI runs this on MariaDB."
)


def pytest_runtest_setup(item):
    """``@pytest.mark.mariadb`` (or ``mariadb(reason=…)``): the one place that skips a test
    that needs MariaDB/MySQL when the suite runs on SQLite, with the reason printed."""
    marker = item.get_closest_marker("mariadb")
    if marker is None:
        return
    from django.db import connection

    if connection.vendor != "mysql":
        pytest.skip(marker.kwargs.get("reason", ROW_LOCKS))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that are about hashing read designpi.settings directly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
