import pytest

from tests.smtp import smtp_server  # noqa: F401  (the fixture)


@pytest.fixture(autouse=True)
def _no_delay(settings):
    # The delay is measured from the post; tests run the worker at once.
    settings.NOTIFICATION_DELAY_SECONDS = 0
    settings.SITE_URL = "http://testserver"
