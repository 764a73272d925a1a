"""Background work of the conversations app, run by `manage.py db_worker`."""

from django_tasks import task

from . import services


@task()
def conversation_wake_task(conversation_id: int) -> bool:
    """Queued by conversation_snooze to run at the snooze's end. Re-judged when it runs:
    a snooze cancelled or moved meanwhile leaves nothing for it to do."""
    return services.conversation_wake(conversation_id=conversation_id)
