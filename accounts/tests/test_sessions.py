"""Sessions: rotation on sign-in, sign-out and deactivation end them, cookie flags,
and polling that writes nothing (SECURITY_CASES 7, 18; issue 5 §3)."""

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client

from accounts.services import user_deactivate
from conversations.services import conversation_assign, conversation_post_message
from tests.commands import PRODUCTION_ENV, manage
from tests.personas import PASSWORD, client_for

LOGIN_URL = "/accounts/login/"
SESSION = settings.SESSION_COOKIE_NAME


def sign_in(client, user):
    response = client.post(LOGIN_URL, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return response


def with_cookie(session_key) -> Client:
    client = Client()
    client.cookies[SESSION] = session_key
    return client


def is_anonymous_on(client, path="/accounts/home/") -> bool:
    response = client.get(path)
    return response.status_code == 302 and response["Location"].startswith(LOGIN_URL)


def test_signing_in_rotates_the_session_and_the_old_key_is_anonymous(john):
    client = Client()
    before = SessionStore()
    before["planted"] = "by someone else"  # a fixated, pre-login session
    before.create()
    client.cookies[SESSION] = before.session_key

    response = sign_in(client, john)

    after = response.cookies[SESSION].value
    assert after and after != before.session_key
    assert not Session.objects.filter(session_key=before.session_key).exists()
    assert is_anonymous_on(with_cookie(before.session_key))
    assert not is_anonymous_on(with_cookie(after))


def test_session_cookie_is_httponly_and_samesite_lax(john):
    cookie = sign_in(Client(), john).cookies[SESSION]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_production_cookies_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, s.SESSION_SAVE_EVERY_REQUEST)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "Lax", "True", "True", "False"]


def test_logout_is_post_only_and_ends_the_session(john):
    client = Client()
    key = sign_in(client, john).cookies[SESSION].value

    assert client.get("/accounts/logout/").status_code == 405
    assert not is_anonymous_on(client)  # a GET (a link, an <img>) signs nobody out

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert is_anonymous_on(with_cookie(key))  # the old cookie replayed is anonymous


def test_deactivation_ends_every_session_of_that_user_only(admin_user, john, jane):
    johns_phone, johns_laptop, janes = client_for(john), client_for(john), client_for(jane)

    user_deactivate(actor=admin_user, user=john)

    assert is_anonymous_on(johns_phone, "/portal/chat/")
    assert is_anonymous_on(johns_laptop, "/portal/chat/")
    assert not is_anonymous_on(janes, "/portal/chat/")


def test_deactivated_users_api_and_poll_calls_stop_at_once(admin_user, john, johns_conversation):
    client = client_for(john)
    assert client.get("/api/portal/conversation").status_code == 200
    user_deactivate(actor=admin_user, user=john)
    assert client.get("/api/portal/conversation").status_code == 401
    poll = client.get("/portal/chat/messages/", {"after": 0}, HTTP_HX_REQUEST="true")
    assert poll.status_code == 204 and poll["HX-Redirect"].startswith(LOGIN_URL)


def test_a_user_made_inactive_elsewhere_is_anonymous_on_the_next_request(admin_user, john):
    """Deactivation through Django's admin site does not call user_deactivate, so the
    session row survives; Django's ModelBackend still refuses the inactive user."""
    johns = client_for(john)
    admin = client_for(admin_user)
    response = admin.post(f"/django-admin/accounts/user/{john.pk}/change/", {
        "email": john.email, "name": john.name, "phone": john.phone, "company": john.company,
        "role": john.role,  # is_active left out: the checkbox is unticked
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    john.refresh_from_db()
    assert john.is_active is False

    assert is_anonymous_on(johns, "/portal/chat/")
    assert johns.get("/api/portal/conversation").status_code == 401
    # …and cannot sign in again.
    assert "_auth_user_id" not in Client().post(LOGIN_URL, {"username": john.email, "password": PASSWORD}).wsgi_request.session


def test_changing_the_password_signs_out_the_other_sessions(john):
    here, elsewhere = Client(), Client()
    sign_in(here, john)
    sign_in(elsewhere, john)
    response = here.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "a-new-long-passphrase-42", "new_password2": "a-new-long-passphrase-42",
    })
    assert response.status_code == 302
    assert not is_anonymous_on(here)
    assert is_anonymous_on(elsewhere)


def session_row(client):
    return Session.objects.filter(session_key=client.cookies[SESSION].value).values_list(
        "session_data", "expire_date"
    ).get()


@pytest.fixture
def busy_thread(admin_user, sarah, john, johns_conversation):
    conversation_assign(actor=admin_user, conversation=johns_conversation, assignee=sarah)
    conversation_post_message(actor=john, conversation=johns_conversation, body="Hello")
    conversation_post_message(actor=sarah, conversation=johns_conversation, body="Hi John")
    return johns_conversation


@pytest.mark.parametrize("who, path", [
    ("john", "/portal/chat/messages/"),
    ("sarah", "/staff/conversations/{pk}/messages/"),
    ("admin_user", "/admin/conversations/{pk}/messages/"),
    ("john", "/api/conversations/{pk}/messages"),
])
def test_polling_writes_nothing_to_the_session(request, busy_thread, who, path):
    """SESSION_SAVE_EVERY_REQUEST stays off: thousands of polls a minute must not each
    rewrite the session row (nor slide its expiry)."""
    client = Client()
    sign_in(client, request.getfixturevalue(who))
    before = session_row(client)
    url = path.format(pk=busy_thread.pk)
    for after in (0, busy_thread.last_seq):  # a poll with rows, then an idle one
        response = client.get(url, {"after": after}, HTTP_HX_REQUEST="true")
        assert response.status_code in (200, 204)
        assert SESSION not in response.cookies
    assert session_row(client) == before
