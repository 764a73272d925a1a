"""Password reset (issue 11 part 5; SECURITY_CASES 8, 35): the same answer whether or not
the address has an account; the email is sent by the worker through a real SMTP server;
its link sets a new password once, for that account only, and expires; requests are
limited per address; nobody is signed in by a reset."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Role, SignInFailure
from accounts.services import user_deactivate, user_invite
from accounts.tokens import invitation_tokens, password_reset_tokens
from tests.personas import PASSWORD
from tests.smtp import drain_queue, text_of
from tests.smtp import smtp_server as _smtp_server_fixture

smtp_server = _smtp_server_fixture  # the fixture, under its name in this module
# The worker runs in this process (drain_queue). It closes a connection left inside a
# transaction (close_old_connections), which on MariaDB would end the test's own
# transaction: tests that drain the queue commit for real instead.
REAL_WORKER = pytest.mark.django_db(transaction=True)

RESET = reverse("accounts:password_reset")
SENT = reverse("accounts:password_reset_sent")
LOGIN = reverse("accounts:login")
NEW_PASSWORD = "a-long-new-passphrase-42"
LINK = re.compile(r"http://mail\.example\.test(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://mail.example.test"


def ask(email, django_capture_on_commit_callbacks, client=None):
    with django_capture_on_commit_callbacks(execute=True):
        return (client or Client()).post(RESET, {"email": email}, follow=True)


def without_per_response_tokens(content: bytes) -> bytes:
    """A page minus what differs on every response anyway (the CSRF token, masked anew
    each time, and any CSP nonce)."""
    return re.sub(rb'"[A-Za-z0-9_+/=-]{22,}"', b'"-"', content)


def signs_in(user, password) -> bool:
    response = Client().post(LOGIN, {"username": user.email, "password": password})
    return "_auth_user_id" in response.wsgi_request.session


def test_the_sign_in_page_offers_a_reset(db):
    html = Client().get(LOGIN).content.decode()
    assert f'href="{RESET}"' in html and "Forgot your password?" in html


@REAL_WORKER
def test_the_email_arrives_and_its_link_sets_a_new_password_once(smtp_server, john, django_capture_on_commit_callbacks):
    response = ask("John@Example.test", django_capture_on_commit_callbacks)
    assert response.redirect_chain == [(SENT, 302)]
    assert smtp_server.messages == []  # nothing is sent from the request

    drain_queue()

    (message,) = smtp_server.messages
    assert smtp_server.recipients == [["john@example.test"]]
    assert message["Subject"] == "Reset your DesignPi Support password"
    assert "Hello John Doe," in text_of(message)
    path = LINK.search(text_of(message)).group(1)
    assert f'href="http://mail.example.test{path}"' in text_of(message, "html")

    client = Client()
    form_page = client.get(path, follow=True)  # Django moves the token into the session
    assert form_page.status_code == 200 and "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    assert "set-password" in set_password_url
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:password_reset_complete")
    assert "_auth_user_id" not in client.session  # signing in still goes through the sign-in page

    assert signs_in(john, NEW_PASSWORD) and not signs_in(john, PASSWORD)
    refused = Client().get(path, follow=True)
    assert refused.status_code == 400 and "This link does not work" in refused.content.decode()


@REAL_WORKER
@pytest.mark.parametrize("who", ["unknown", "inactive", "invited"])
def test_the_answer_is_the_same_whether_or_not_the_address_can_reset(
        who, smtp_server, admin_user, john, django_capture_on_commit_callbacks):
    known = ask(john.email, django_capture_on_commit_callbacks)
    if who == "inactive":
        jane = get_user_model().objects.create_user("jane@example.test", PASSWORD, name="Jane")
        user_deactivate(actor=admin_user, user=jane)
        email = jane.email
    elif who == "invited":
        email = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF).email
    else:
        email = "nobody@example.test"
    other = ask(email, django_capture_on_commit_callbacks)

    assert other.redirect_chain == known.redirect_chain
    assert without_per_response_tokens(other.content) == without_per_response_tokens(known.content)
    drain_queue()
    resets = [rcpt for m, rcpt in zip(smtp_server.messages, smtp_server.recipients)
              if m["Subject"] == "Reset your DesignPi Support password"]
    assert resets == [[john.email]]  # (the invited person got their invitation, no reset)


def test_invalid_input_is_400_with_the_reason(db):
    response = Client().post(RESET, {"email": "not an address"})
    assert response.status_code == 400 and "Enter a valid email address." in response.content.decode()


@REAL_WORKER
def test_requests_beyond_the_hourly_limit_send_nothing_and_look_the_same(
        settings, smtp_server, john, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_LIMIT_PER_HOUR = 2
    answers = [ask(john.email, django_capture_on_commit_callbacks).redirect_chain for _ in range(4)]
    assert answers == [[(SENT, 302)]] * 4
    drain_queue()
    assert len(smtp_server.to(john.email)) == 2


def test_reset_requests_count_toward_the_network_ceiling_not_the_accounts(settings, john,
                                                                          django_capture_on_commit_callbacks):
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(4):
        ask(f"probe{n}@example.test", django_capture_on_commit_callbacks)
    assert SignInFailure.objects.filter(account=john.email).count() == 0
    # The network is over its ceiling: sign-in from it is refused like any spraying…
    response = Client().post(LOGIN, {"username": john.email, "password": PASSWORD})
    assert response.status_code == 429
    # …and from another address John signs in as usual.
    assert "_auth_user_id" in Client(REMOTE_ADDR="192.0.2.80").post(
        LOGIN, {"username": john.email, "password": PASSWORD}).wsgi_request.session


def confirm_path(user, token):
    return reverse("accounts:password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token})


def test_a_token_works_for_its_own_account_only(john, jane):
    assert Client().get(confirm_path(john, password_reset_tokens.make_token(john)), follow=True).status_code == 200
    assert Client().get(confirm_path(jane, password_reset_tokens.make_token(john)), follow=True).status_code == 400


def test_an_invitation_token_is_no_reset_link(john):
    assert Client().get(confirm_path(john, invitation_tokens.make_token(john)), follow=True).status_code == 400


def test_an_expired_link_is_refused(settings, john):
    now = password_reset_tokens._num_seconds(password_reset_tokens._now())
    old = now - settings.PASSWORD_RESET_TIMEOUT - 60
    stale = password_reset_tokens._make_token_with_timestamp(john, old, password_reset_tokens.secret)
    response = Client().get(confirm_path(john, stale), follow=True)
    assert response.status_code == 400 and "expired" in response.content.decode()


@REAL_WORKER
def test_someone_deactivated_after_asking_gets_no_email(smtp_server, admin_user, john,
                                                        django_capture_on_commit_callbacks):
    ask(john.email, django_capture_on_commit_callbacks)
    user_deactivate(actor=admin_user, user=john)
    drain_queue()
    assert smtp_server.messages == []


def test_the_task_table_holds_no_link_or_token(john, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    from accounts.models import AccountEmail

    ask(john.email, django_capture_on_commit_callbacks)
    (row,) = DBTaskResult.objects.all()
    (email,) = AccountEmail.objects.filter(user=john, kind=AccountEmail.Kind.PASSWORD_RESET)
    assert row.args_kwargs == {"args": [email.pk], "kwargs": {}}


def test_reset_pages_work_signed_in_too(as_user, john):
    assert as_user(john).get(RESET).status_code == 200


def test_a_reset_signs_out_every_other_session(john):
    """After a reset (say, after a stolen password) the sessions signed in before stop."""
    elsewhere = Client()
    assert elsewhere.post(LOGIN, {"username": john.email, "password": PASSWORD}).status_code == 302
    john.refresh_from_db()  # its last sign-in is part of the token
    client = Client()
    set_password_url = client.get(confirm_path(john, password_reset_tokens.make_token(john)), follow=True).redirect_chain[-1][0]
    assert client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}).status_code == 302
    response = elsewhere.get("/portal/chat/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
