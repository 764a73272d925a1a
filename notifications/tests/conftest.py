import pytest

from tests.smtp import smtp_server  # noqa: F401  (the fixture)


@pytest.fixture(autouse=True)
def _no_delay(settings):
    # The delay is measured from the post; tests run the worker at once.
    settings.NOTIFICATION_DELAY_SECONDS = 0
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def world(world):
    """The standard world, minus the emails its own setup queued (in tests with committed
    transactions): each test starts with an empty queue."""
    from django_tasks_db.models import DBTaskResult

    from notifications.models import QueuedBatch

    DBTaskResult.objects.all().delete()
    QueuedBatch.objects.all().delete()
    return world
