"""Issue 11 emails end to end: the services queue on commit, the real worker
(`db_worker --batch`) runs the tasks, a real SMTP server (aiosmtpd) receives the mail.
SECURITY_CASES 35: only someone who may see it when it is sent, never an inactive
account, a retried or doubled task sends nothing twice."""

import io

import pytest
from django_tasks_db.models import DBTaskResult

from conversations.services import conversation_assign, conversation_mark_read, conversation_post_message
from notifications import tasks
from notifications.models import Kind, Notification, State
from notifications.services import notification_create
from tests.personas import client_for
from tests.smtp import drain_queue, text_of

from .helpers import links_in, time_passes

# Committed transactions: the worker runs in this process and, like in production, closes
# a connection that is inside a transaction (on MariaDB that would end the test's own).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def post(django_capture_on_commit_callbacks):
    def post(actor, conversation, body):
        with django_capture_on_commit_callbacks(execute=True):
            return conversation_post_message(actor=actor, conversation=conversation, body=body)
    return post


@pytest.fixture
def assign(django_capture_on_commit_callbacks):
    def assign(actor, conversation, assignee):
        with django_capture_on_commit_callbacks(execute=True):
            return conversation_assign(actor=actor, conversation=conversation, assignee=assignee)
    return assign


def test_participant_messages_are_one_email_to_the_assignee_with_every_unread_message(world, smtp_server, post):
    for body in ("First question", "Second question", "Third question"):
        post(world["john"], world["johns"], body)
    drain_queue()

    assert smtp_server.recipients == [["sarah@designpi.test"]]
    email = smtp_server.messages[0]
    assert email["Subject"] == f"4 new messages from John Doe (conversation #{world['johns'].pk})"
    text = text_of(email)
    # The world's unread "Hello from John" and the three new ones, oldest first; not Sarah's reply.
    assert [line for line in text.splitlines() if "question" in line or line == "Hello from John"] == [
        "Hello from John", "First question", "Second question", "Third question"]
    assert "Hi John" not in text
    assert email["From"] == "DesignPi Support <support@localhost>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The conversation link opens the conversation for Sarah.
    conversation_path, preferences_path, unsubscribe_path = links_in(text)
    assert conversation_path == f"/staff/conversations/{world['johns'].pk}/"
    assert client_for(world["sarah"]).get(conversation_path).status_code == 200
    assert client_for(world["sarah"]).get(preferences_path).status_code == 200
    assert email["List-Unsubscribe"].strip() == f"<http://testserver{unsubscribe_path}>"
    assert Notification.objects.get().state == State.SENT


def test_nothing_more_until_read_then_a_new_email(world, smtp_server, post):
    post(world["john"], world["johns"], "One")
    drain_queue()
    post(world["john"], world["johns"], "Two, still unread before")
    drain_queue()
    assert len(smtp_server.messages) == 1

    conversation_mark_read(reader=world["sarah"], conversation=world["johns"])
    post(world["john"], world["johns"], "Three, after Sarah read")
    drain_queue()
    assert len(smtp_server.messages) == 2
    second = text_of(smtp_server.messages[1])
    assert "Three, after Sarah read" in second and "One" not in second


def test_read_before_the_delay_sends_nothing(world, smtp_server, post, settings):
    settings.NOTIFICATION_DELAY_SECONDS = 120
    post(world["john"], world["johns"], "Are you there?")
    drain_queue()  # not due yet
    conversation_mark_read(reader=world["sarah"], conversation=world["johns"])
    time_passes()
    drain_queue()
    assert smtp_server.messages == []


def test_the_user_text_is_escaped_in_the_html_part(world, smtp_server, post):
    post(world["john"], world["johns"], '<script>alert("x")</script> & <b>bold</b>')
    drain_queue()
    html = text_of(smtp_server.messages[0], "html")
    assert "<script>" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    # The text part carries the text as written.
    assert '<script>alert("x")</script> & <b>bold</b>' in text_of(smtp_server.messages[0])


def test_times_are_in_the_recipients_time_zone(world, smtp_server, post):
    sarah = world["sarah"]
    sarah.time_zone = "Asia/Tokyo"
    sarah.save(update_fields=["time_zone"])
    post(world["john"], world["johns"], "What time is it?")
    drain_queue()
    assert " JST:" in text_of(smtp_server.messages[0])


def test_the_team_reply_goes_to_the_customer_with_a_portal_link(world, smtp_server, post):
    post(world["sarah"], world["johns"], "We shipped the fix")
    drain_queue()
    assert smtp_server.recipients == [["john@example.test"]]
    email = smtp_server.messages[0]
    assert email["Subject"] == "The support team replied (2 messages)"
    text = text_of(email)
    assert "Hi John, Sarah here" in text and "We shipped the fix" in text and "Hello from John" not in text
    portal = links_in(text)[0]
    assert portal == "/portal/chat/"
    assert client_for(world["john"]).get(portal).status_code == 200


def test_unassigned_lead_conversation_emails_the_active_admins(world, smtp_server, post, admin_user):
    from tests.factories import AdminFactory

    AdminFactory(email="former@designpi.test", is_active=False)
    post(None, world["alices"], "Anyone there?")
    drain_queue()
    assert smtp_server.recipients == [["admin@designpi.test"]]
    text = text_of(smtp_server.messages[0])
    assert "Hello from Alice" in text and "Anyone there?" in text
    console_link = links_in(text)[0]
    assert console_link == f"/admin/conversations/{world['alices'].pk}/"
    assert client_for(admin_user).get(console_link).status_code == 200


def test_replies_to_a_lead_are_not_emailed(world, smtp_server, post):
    post(world["admin"], world["alices"], "Hello Alice")
    drain_queue()
    assert smtp_server.messages == [] and DBTaskResult.objects.count() == 0


def test_reassigned_before_sending_goes_to_the_new_assignee_only(world, smtp_server, post, assign, settings):
    settings.NOTIFICATION_DELAY_SECONDS = 120
    post(world["john"], world["johns"], "Still broken")
    assign(world["admin"], world["johns"], world["mike"])
    time_passes()
    drain_queue()
    assert smtp_server.to("sarah@designpi.test") == []
    subjects = sorted(m["Subject"] for m in smtp_server.to("mike@designpi.test"))
    assert subjects == [f"2 new messages from John Doe (conversation #{world['johns'].pk})",
                        f"Conversation #{world['johns'].pk} with John Doe is assigned to you"]


def test_reassigned_during_an_smtp_outage_the_retry_goes_to_the_new_assignee(world, smtp_server, post, assign):
    smtp_server.stop()
    post(world["john"], world["johns"], "Still broken")
    drain_queue()
    claimed = Notification.objects.get()
    assert (claimed.recipient, claimed.state) == (world["sarah"], State.PENDING)
    assign(world["admin"], world["johns"], world["mike"])
    smtp_server.start()
    time_passes()
    drain_queue()
    assert smtp_server.to("sarah@designpi.test") == []
    assert len(smtp_server.to("mike@designpi.test")) == 2  # assigned + the unread messages
    claimed.refresh_from_db()
    assert claimed.state == State.SKIPPED


def test_never_to_an_inactive_account(world, smtp_server, post):
    sarah = world["sarah"]
    sarah.is_active = False
    sarah.save(update_fields=["is_active"])
    post(world["john"], world["johns"], "Hello?")
    drain_queue()
    assert smtp_server.messages == []


def test_deactivated_between_claim_and_send_gets_nothing(world, smtp_server, post):
    smtp_server.stop()
    post(world["john"], world["johns"], "Hello?")
    drain_queue()
    world["sarah"].is_active = False
    world["sarah"].save(update_fields=["is_active"])
    smtp_server.start()
    time_passes()
    drain_queue()
    assert smtp_server.messages == []
    assert Notification.objects.get().reason == "the recipient's account is inactive"


@pytest.mark.parametrize("preference", ["notify_messages", "notify_assigned"])
def test_a_preference_turned_off_sends_nothing_of_that_kind(world, smtp_server, post, assign, preference):
    mike = world["mike"]
    setattr(mike, preference, False)
    mike.save(update_fields=[preference])
    assign(world["admin"], world["johns"], mike)
    post(world["john"], world["johns"], "Hello Mike")
    drain_queue()
    subjects = [m["Subject"] for m in smtp_server.to("mike@designpi.test")]
    assert len(subjects) == 1
    assert ("assigned to you" in subjects[0]) == (preference == "notify_messages")


def test_assigned_email_and_none_for_assigning_oneself(world, smtp_server, assign, admin_user):
    assign(admin_user, world["janes"], world["sarah"])
    assign(admin_user, world["johns"], admin_user)
    drain_queue()
    assert smtp_server.recipients == [["sarah@designpi.test"]]
    email = smtp_server.messages[0]
    assert email["Subject"] == f"Conversation #{world['janes'].pk} with Jane Smith is assigned to you"
    link = links_in(text_of(email))[0]
    assert client_for(world["sarah"]).get(link).status_code == 200


def test_a_doubled_task_sends_once(world, smtp_server, post):
    post(world["john"], world["johns"], "Once please")
    tasks.notify_unread.enqueue(world["johns"].pk, Kind.PARTICIPANT_WROTE)
    tasks.notify_unread.enqueue(world["johns"].pk, Kind.PARTICIPANT_WROTE)
    drain_queue()
    assert len(smtp_server.messages) == 1
    notification = Notification.objects.get()
    # A retry or watchdog task run twice, now or later, sends nothing more.
    tasks.deliver_notification.enqueue(notification.pk)
    tasks.deliver_notification.enqueue(notification.pk)
    time_passes()
    drain_queue()
    assert len(smtp_server.messages) == 1


def test_smtp_down_then_up_sends_once_after_a_retry(world, smtp_server, post):
    smtp_server.stop()
    post(world["john"], world["johns"], "Is the mail server up?")
    drain_queue()
    notification = Notification.objects.get()
    assert (notification.state, notification.attempts) == (State.PENDING, 1)
    assert "Connection refused" in notification.reason or "Error" in notification.reason
    assert notification.next_attempt_at is not None

    smtp_server.start()
    drain_queue()  # the retry is not due yet
    assert smtp_server.messages == []
    time_passes()
    drain_queue()
    assert len(smtp_server.messages) == 1
    notification.refresh_from_db()
    assert (notification.state, notification.attempts) == (State.SENT, 2)
    time_passes()
    drain_queue()
    assert len(smtp_server.messages) == 1
    # Failed tasks would mean an email left to chance: every task finished cleanly.
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_smtp_down_for_good_gives_up_after_the_last_attempt(world, smtp_server, post):
    from designpi.mail import MAX_SEND_ATTEMPTS as MAX_ATTEMPTS

    smtp_server.stop()
    post(world["john"], world["johns"], "Anyone?")
    for _ in range(MAX_ATTEMPTS + 2):
        time_passes()
        drain_queue()
    notification = Notification.objects.get()
    assert (notification.state, notification.attempts) == (State.FAILED, MAX_ATTEMPTS)


def test_a_worker_that_died_after_claiming_is_covered_by_the_watchdog(world, smtp_server):
    # What a worker killed between the claim and the SMTP exchange leaves behind: the row
    # claimed (SENDING) and the watchdog task queued with it, nothing sent.
    notification = notification_create(recipient=world["sarah"], conversation=world["johns"],
                                       kind=Kind.PARTICIPANT_WROTE, first_seq=1, last_seq=1)
    drain_queue()  # the watchdog waits for the claim to be stale
    assert smtp_server.messages == []
    time_passes()
    drain_queue()
    assert len(smtp_server.messages) == 1
    assert "Hello from John" in text_of(smtp_server.messages[0])
    notification.refresh_from_db()
    assert notification.state == State.SENT


def test_a_claim_being_sent_right_now_is_left_alone(world, smtp_server):
    notification = notification_create(recipient=world["sarah"], conversation=world["johns"],
                                       kind=Kind.PARTICIPANT_WROTE, first_seq=1, last_seq=1)
    tasks.deliver_notification.enqueue(notification.pk)  # a doubled delivery while the claim is fresh
    drain_queue()
    assert smtp_server.messages == []


def _queued(task):
    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY").count()


def test_messages_within_the_delay_queue_one_task_per_conversation(world, smtp_server, post, settings):
    settings.NOTIFICATION_DELAY_SECONDS = 120
    for body in ("a", "b", "c"):
        post(world["john"], world["johns"], body)
    post(world["jane"], world["janes"], "d")
    assert _queued(tasks.notify_unread) == 2
    time_passes()
    drain_queue()
    assert sorted(r[0] for r in smtp_server.recipients) == ["mike@designpi.test", "sarah@designpi.test"]
    # Once the task has started, the next message queues a new one (after a read: a new email).
    conversation_mark_read(reader=world["sarah"], conversation=world["johns"])
    post(world["john"], world["johns"], "e")
    assert _queued(tasks.notify_unread) == 1


def test_a_task_left_running_by_a_killed_worker_is_queued_again_and_sends_once(world, smtp_server, post, settings):
    from django.core.management import call_command

    settings.NOTIFICATION_DELAY_SECONDS = 120
    post(world["john"], world["johns"], "Lost in a crash?")
    # A worker picked the task up and died: the row says RUNNING and nobody will run it.
    row = DBTaskResult.objects.get(task_path=tasks.notify_unread.module_path)
    row.claim("worker-that-was-killed")
    post(world["john"], world["johns"], "Still nobody?")  # the batch is queued: nothing new
    assert _queued(tasks.notify_unread) == 0
    call_command("notifications_recover", stdout=io.StringIO())
    call_command("notifications_recover", stdout=io.StringIO())  # twice: nothing more
    row.refresh_from_db()
    assert row.status == "FAILED"
    drain_queue()
    assert len(smtp_server.messages) == 1
    assert "Lost in a crash?" in text_of(smtp_server.messages[0])
    assert "Still nobody?" in text_of(smtp_server.messages[0])


def test_a_batch_marker_whose_task_was_lost_is_replaced(world, smtp_server, post, settings):
    from datetime import timedelta

    from django.utils import timezone

    from notifications.models import QueuedBatch

    settings.NOTIFICATION_DELAY_SECONDS = 120
    post(world["john"], world["johns"], "First")
    DBTaskResult.objects.all().delete()  # an operator cleaned the task table too eagerly
    post(world["john"], world["johns"], "Second")
    assert _queued(tasks.notify_unread) == 0  # the marker still says "queued"
    QueuedBatch.objects.update(queued_at=timezone.now() - timedelta(hours=2))
    post(world["john"], world["johns"], "Third")
    assert _queued(tasks.notify_unread) == 1
    time_passes()
    drain_queue()
    assert [line for line in text_of(smtp_server.messages[0]).splitlines()
            if line in ("First", "Second", "Third")] == ["First", "Second", "Third"]


def test_every_way_of_posting_queues_the_email(world, smtp_server):
    """The portal form, the staff reply form and the JSON API all go through the one service."""
    import json

    john, sarah = client_for(world["john"]), client_for(world["sarah"])
    token = "5b0c3c1e-6a7d-4f1e-9a52-3d2b1c0e9f8a"
    assert john.post("/portal/chat/send/", {"body": "From the portal", "client_token": token}).status_code == 302
    response = john.post(f"/api/conversations/{world['johns'].pk}/messages",
                         data=json.dumps({"body": "From the API"}), content_type="application/json")
    assert response.status_code == 201
    staff_reply = sarah.post(f"/staff/conversations/{world['johns'].pk}/reply/",
                             {"body": "From the staff page", "client_token": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"})
    assert staff_reply.status_code == 302
    drain_queue()
    team = text_of(smtp_server.to("sarah@designpi.test")[0])
    assert "From the portal" in team and "From the API" in team
    assert "From the staff page" in text_of(smtp_server.to("john@example.test")[0])


def test_a_message_into_a_queued_batch_costs_one_query_after_commit(world, post, settings, django_assert_num_queries):
    from notifications.services import notify_message_posted

    settings.NOTIFICATION_DELAY_SECONDS = 120
    message = post(world["john"], world["johns"], "Queues the batch")
    with django_assert_num_queries(1):
        # 1. the QueuedBatch marker of this conversation: present, so nothing more to queue
        notify_message_posted(message=message)
    assert _queued(tasks.notify_unread) == 1
