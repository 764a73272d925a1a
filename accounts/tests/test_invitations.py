"""Invitations (issue 11 part 5; SECURITY_CASES 35): an admin invites from People, the
worker sends the email through a real SMTP server, the link sets a password once and
signs the person in; links are per account, single-use, replaced by a resend, and expire."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from accounts.models import AccountEmail, Role, User
from accounts.services import user_deactivate, user_invitation_resend, user_invite
from accounts.tokens import invitation_tokens, password_reset_tokens
from tests.smtp import drain_queue, text_of
from tests.smtp import smtp_server as _smtp_server_fixture

smtp_server = _smtp_server_fixture  # the fixture, under its name in this module
# The worker runs in this process (drain_queue). It closes a connection left inside a
# transaction (close_old_connections), which on MariaDB would end the test's own
# transaction: tests that drain the queue commit for real instead.
REAL_WORKER = pytest.mark.django_db(transaction=True)

PEOPLE = reverse("console:people_list")
INVITE = reverse("console:people_invite")
NEW_PASSWORD = "a-long-new-passphrase-42"
LINK = re.compile(r"http://mail\.example\.test(/accounts/invitation/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://mail.example.test"


def invite(as_user, admin, django_capture_on_commit_callbacks, **fields):
    data = {"name": "Nina New", "email": "Nina@Example.test", "role": "staff", "company": "", "phone": "", **fields}
    with django_capture_on_commit_callbacks(execute=True):
        return as_user(admin).post(INVITE, data)


def link_in(message) -> str:
    return LINK.search(text_of(message)).group(1)


def accept(client, path, password=NEW_PASSWORD, **extra):
    return client.post(path, {"new_password1": password, "new_password2": password, **extra})


@REAL_WORKER
def test_an_invitation_email_arrives_and_its_link_sets_a_password_and_signs_in(
        smtp_server, as_user, admin_user, django_capture_on_commit_callbacks):
    response = invite(as_user, admin_user, django_capture_on_commit_callbacks,
                      name='Nina <b>"New"</b>', company="Acme", phone="+1 555 0100")
    assert response.status_code == 302 and response["Location"] == PEOPLE
    assert smtp_server.messages == []  # the request sent nothing: the worker does

    drain_queue()

    (message,) = smtp_server.messages
    assert smtp_server.recipients == [["nina@example.test"]]
    assert message["Subject"] == "You are invited to DesignPi Support"
    text, html = text_of(message), text_of(message, "html")
    assert 'Hello Nina <b>"New"</b>,' in text  # plain text is plain
    assert "Nina &lt;b&gt;&quot;New&quot;&lt;/b&gt;" in html and "<b>" not in html  # user text escaped
    path = link_in(message)
    assert f'href="http://mail.example.test{path}"' in html  # links use SITE_URL
    nina = User.objects.get(email="nina@example.test")
    assert (nina.role, nina.company, nina.phone, nina.is_active) == (Role.STAFF, "Acme", "+1 555 0100", True)
    assert not nina.has_usable_password()

    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "nina@example.test" in page.content.decode()
    response = accept(client, path)
    assert response.status_code == 302 and response["Location"] == reverse("staff:conversation_list")
    assert client.get(reverse("staff:conversation_list")).status_code == 200  # signed in
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)

    # Single use: the same link now refuses, and changes nothing.
    again = Client()
    refused = again.get(path)
    assert refused.status_code == 400 and "This invitation does not work" in refused.content.decode()
    assert accept(again, path, "another-passphrase-77").status_code == 400
    nina.refresh_from_db()
    assert nina.check_password(NEW_PASSWORD)
    # …and the password signs in through the ordinary page.
    assert Client().post(reverse("accounts:login"), {"username": "nina@example.test", "password": NEW_PASSWORD}).status_code == 302


@REAL_WORKER
def test_a_too_weak_password_is_refused_with_the_reason_and_the_link_still_works(
        smtp_server, as_user, admin_user, django_capture_on_commit_callbacks):
    invite(as_user, admin_user, django_capture_on_commit_callbacks)
    drain_queue()
    path = link_in(smtp_server.messages[0])
    client = Client()
    response = accept(client, path, "12345678")
    assert response.status_code == 400
    assert "This password is entirely numeric." in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert accept(client, path).status_code == 302


def test_the_people_page_shows_invited_and_the_invite_form_errors(as_user, admin_user, john,
                                                                 django_capture_on_commit_callbacks):
    user_invite(actor=admin_user, email="nina@example.test", name="Nina New", role=Role.CUSTOMER)
    html = as_user(admin_user).get(PEOPLE).content.decode()
    assert re.search(r"Nina New.*?Invited.*?Resend invitation", html, re.DOTALL)

    # The same address in another spelling: a clear error on the form, nothing created.
    response = invite(as_user, admin_user, django_capture_on_commit_callbacks, email="JOHN@example.TEST")
    assert response.status_code == 400
    assert "Someone already has an account with this email." in response.content.decode()
    response = invite(as_user, admin_user, django_capture_on_commit_callbacks, email="not-an-email", name="")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in html and "This field is required." in html
    assert "<details class=\"card invite-card\" open>" in html
    assert User.objects.count() == 3


def test_invite_rules(admin_user, sarah, john):
    with pytest.raises(PermissionDenied):
        user_invite(actor=sarah, email="x@example.test", name="X", role=Role.STAFF)
    with pytest.raises(ValidationError):
        user_invite(actor=admin_user, email="x@example.test", name="X", role="superuser")
    with pytest.raises(ValidationError) as error:
        user_invite(actor=admin_user, email=" John@Example.Test ", name="X", role=Role.STAFF)
    assert error.value.message_dict == {"email": ["Someone already has an account with this email."]}
    with pytest.raises(ValidationError):
        user_invitation_resend(actor=admin_user, user=john)  # has a password: nothing pending
    assert not User.objects.filter(email="x@example.test").exists()


def test_an_invited_person_cannot_sign_in_before_accepting(admin_user):
    user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    response = Client().post(reverse("accounts:login"), {"username": "nina@example.test", "password": ""})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


def path_for(user, token):
    return reverse("accounts:invitation_accept", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                                                         "token": token})


def test_one_persons_token_does_not_open_anothers_invitation(admin_user):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    omar = user_invite(actor=admin_user, email="omar@example.test", name="Omar", role=Role.STAFF)
    ninas_token = invitation_tokens.make_token(nina)
    assert Client().get(path_for(nina, ninas_token)).status_code == 200
    response = accept(Client(), path_for(omar, ninas_token))
    assert response.status_code == 400
    omar.refresh_from_db()
    assert not omar.has_usable_password()


def test_a_password_reset_token_is_no_invitation(admin_user):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    assert Client().get(path_for(nina, password_reset_tokens.make_token(nina))).status_code == 400
    assert Client().get(path_for(nina, "garbage")).status_code == 400
    assert Client().get(reverse("accounts:invitation_accept", kwargs={"uidb64": "%%%", "token": "x-y"})).status_code == 400


def test_an_expired_invitation_is_refused(settings, admin_user):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    now = invitation_tokens._num_seconds(invitation_tokens._now())
    age = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
    # Correctly signed tokens made in the past: one just within the age, one just past it.
    fresh = invitation_tokens._make_token_with_timestamp(nina, now - age + 60, invitation_tokens.secret)
    stale = invitation_tokens._make_token_with_timestamp(nina, now - age - 60, invitation_tokens.secret)
    assert Client().get(path_for(nina, fresh)).status_code == 200
    response = Client().get(path_for(nina, stale))
    assert response.status_code == 400 and "expired" in response.content.decode()


@REAL_WORKER
def test_resending_replaces_the_earlier_link(smtp_server, as_user, admin_user, django_capture_on_commit_callbacks):
    invite(as_user, admin_user, django_capture_on_commit_callbacks)
    drain_queue()
    nina = User.objects.get(email="nina@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(admin_user).post(reverse("console:people_invitation_resend", args=[nina.pk]))
    assert response.status_code == 302
    drain_queue()
    first, second = smtp_server.to("nina@example.test")
    assert Client().get(link_in(first)).status_code == 400
    assert accept(Client(), link_in(second)).status_code == 302


@REAL_WORKER
def test_a_deactivated_invitee_gets_no_email_and_the_link_stops(smtp_server, as_user, admin_user,
                                                                django_capture_on_commit_callbacks):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    token = invitation_tokens.make_token(nina)
    user_deactivate(actor=admin_user, user=nina)
    drain_queue()  # the task queued by the invitation checks again when it runs
    assert smtp_server.messages == []
    assert Client().get(path_for(nina, token)).status_code == 400


def test_the_task_table_holds_no_link_or_token(admin_user, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    (row,) = DBTaskResult.objects.all()
    (email,) = AccountEmail.objects.filter(user=nina)
    assert row.args_kwargs == {"args": [email.pk], "kwargs": {}}


def time_passes():
    """Everything queued for later (a retry, the watchdog of a claim) becomes due."""
    past = timezone.now() - timedelta(hours=6)
    DBTaskResult.objects.filter(status="READY").update(run_after=past)
    AccountEmail.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)
    AccountEmail.objects.filter(claimed_at__isnull=False).update(claimed_at=past)


@REAL_WORKER
def test_with_the_mail_server_down_the_email_is_retried_and_sent_once_when_it_is_back(smtp_server, admin_user):
    smtp_server.stop()
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    drain_queue()  # the worker survives the refused connection and queues a retry
    (email,) = AccountEmail.objects.filter(user=nina)
    assert (email.state, email.attempts) == (AccountEmail.State.QUEUED, 1)
    assert "ConnectionRefusedError" in email.reason and email.next_attempt_at > timezone.now()

    smtp_server.start()
    drain_queue()
    assert smtp_server.messages == []  # the retry waits for its time

    time_passes()
    drain_queue()
    (message,) = smtp_server.to("nina@example.test")
    assert accept(Client(), link_in(message)).status_code == 302
    email.refresh_from_db()
    assert (email.state, email.attempts) == (AccountEmail.State.SENT, 2)
    time_passes()  # the watchdogs and any doubled task find it sent
    drain_queue()
    assert len(smtp_server.messages) == 1


@REAL_WORKER
def test_with_the_mail_server_down_for_good_it_gives_up_after_the_last_attempt(smtp_server, admin_user):
    from designpi.mail import MAX_SEND_ATTEMPTS

    smtp_server.stop()
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    for _ in range(MAX_SEND_ATTEMPTS + 2):
        drain_queue()
        time_passes()
    (email,) = AccountEmail.objects.filter(user=nina)
    assert (email.state, email.attempts) == (AccountEmail.State.FAILED, MAX_SEND_ATTEMPTS)


@REAL_WORKER
def test_a_doubled_task_sends_once(smtp_server, admin_user):
    from accounts.tasks import send_account_email

    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    (email,) = AccountEmail.objects.filter(user=nina)
    send_account_email.enqueue(email.pk)  # the same email queued twice (a retried enqueue)
    drain_queue()
    time_passes()  # and the watchdog queued by the claim, later
    drain_queue()
    assert len(smtp_server.to("nina@example.test")) == 1


@REAL_WORKER
def test_a_worker_that_died_while_sending_is_covered_by_the_watchdog(smtp_server, admin_user):
    from accounts.services import account_email_claim

    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    (email,) = AccountEmail.objects.filter(user=nina)
    account_email_claim(email_id=email.pk)  # claimed, then the worker died before sending
    drain_queue()
    assert smtp_server.messages == []  # a claim being sent right now is left alone
    time_passes()
    drain_queue()
    assert len(smtp_server.to("nina@example.test")) == 1


@REAL_WORKER
def test_two_quick_resends_send_only_the_newest_invitation(smtp_server, admin_user):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    user_invitation_resend(actor=admin_user, user=nina)
    user_invitation_resend(actor=admin_user, user=nina)
    drain_queue()
    (message,) = smtp_server.to("nina@example.test")
    assert accept(Client(), link_in(message)).status_code == 302
    assert sorted(AccountEmail.objects.filter(user=nina).values_list("state", flat=True)) == [
        "sent", "skipped", "skipped"]


@REAL_WORKER
def test_an_invitation_task_left_running_by_a_killed_worker_is_queued_again_and_sends_once(smtp_server, admin_user):
    import io

    from django.core.management import call_command

    user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    # A worker picked the task up and died before claiming the email: the task row says
    # RUNNING for ever and no watchdog was queued.
    (row,) = DBTaskResult.objects.all()
    row.claim("worker-that-was-killed")
    call_command("notifications_recover", stdout=io.StringIO())
    call_command("notifications_recover", stdout=io.StringIO())  # twice: nothing more
    drain_queue()
    time_passes()
    drain_queue()
    (message,) = smtp_server.to("nina@example.test")
    assert accept(Client(), link_in(message)).status_code == 302
