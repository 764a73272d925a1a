"""Test-wide fixtures. Environment defaults for the test run are in pytest.ini (pytest-env)."""

pytest_plugins = ["tests.personas"]
