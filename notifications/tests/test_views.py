"""The preferences page and the one-click unsubscribe landing (issue 11 part 6;
SECURITY_CASES 35: unsubscribe links are signed, single-purpose and expire)."""

import json
import time

import pytest
from django.core import signing
from django.test import Client

from conversations.services import conversation_post_message
from notifications.tokens import UNSUBSCRIBE_MAX_AGE, UNSUBSCRIBE_SALT, make_unsubscribe_token
from tests.personas import client_for
from tests.smtp import drain_queue

from .helpers import links_in

pytestmark = pytest.mark.django_db
PREFERENCES = "/notifications/preferences/"


def unsubscribe_url(token):
    return f"/notifications/unsubscribe/{token}/"


def fresh(user):
    user.refresh_from_db()
    return user


# --- the preferences page -------------------------------------------------------------

@pytest.mark.parametrize("persona", ["john", "sarah", "admin"])
def test_every_signed_in_person_has_the_page_linked_from_their_header(world, persona):
    client = client_for(world[persona])
    home = client.get("/accounts/home/", follow=True)
    assert f'href="{PREFERENCES}"'.encode() in home.content
    page = client.get(PREFERENCES)
    assert page.status_code == 200
    # "Assigned to me" is for the team; everyone has the messages and the time zone.
    assert (b'name="notify_assigned"' in page.content) == (persona != "john")
    assert b'name="notify_messages"' in page.content and b'<option value="Europe/Paris"' in page.content


def test_needs_sign_in():
    response = Client().get(PREFERENCES)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_saving_changes_the_preferences(world):
    sarah = world["sarah"]
    client = client_for(sarah)
    response = client.post(PREFERENCES, {"notify_messages": "on", "time_zone": "Europe/Paris"})
    assert response.status_code == 302 and response["Location"] == PREFERENCES
    sarah = fresh(sarah)
    assert (sarah.notify_assigned, sarah.notify_messages, sarah.time_zone) == (False, True, "Europe/Paris")
    assert b"Your email settings are saved." in client.get(PREFERENCES).content


def test_a_customer_cannot_set_the_team_only_preference(world):
    john = world["john"]
    john.notify_assigned = False
    john.save(update_fields=["notify_assigned"])
    client_for(john).post(PREFERENCES, {"notify_assigned": "on", "time_zone": ""})
    john = fresh(john)
    assert (john.notify_assigned, john.notify_messages) == (False, False)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe/Paris\n", "../../etc/passwd", "x" * 100])
def test_an_unknown_time_zone_is_refused_and_nothing_changes(world, zone):
    response = client_for(world["sarah"]).post(PREFERENCES, {"time_zone": zone})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    sarah = fresh(world["sarah"])
    assert (sarah.notify_assigned, sarah.notify_messages, sarah.time_zone) == (True, True, "")


def test_other_methods_are_refused(world):
    assert client_for(world["john"]).put(PREFERENCES).status_code == 405


# --- one-click unsubscribe ------------------------------------------------------------

def test_get_asks_and_changes_nothing(world):
    token = make_unsubscribe_token(world["john"], "notify_messages")
    response = Client().get(unsubscribe_url(token))
    assert response.status_code == 200
    assert b"Unsubscribe</button>" in response.content and b"john@example.test" in response.content
    assert fresh(world["john"]).notify_messages is True


def test_one_click_post_works_without_session_or_csrf_token(world):
    token = make_unsubscribe_token(world["sarah"], "notify_assigned")
    client = Client(enforce_csrf_checks=True)
    response = client.post(unsubscribe_url(token), "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    sarah = fresh(world["sarah"])
    assert (sarah.notify_assigned, sarah.notify_messages) == (False, True)
    # Doing it again is harmless.
    assert client.post(unsubscribe_url(token)).status_code == 200


@pytest.mark.django_db(transaction=True)  # the in-process worker (see test_delivery.py)
def test_the_unsubscribe_link_of_a_received_email_stops_those_emails(world, smtp_server, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.NOTIFICATION_DELAY_SECONDS = 0

    def reply(body):
        with django_capture_on_commit_callbacks(execute=True):
            conversation_post_message(actor=world["sarah"], conversation=world["johns"], body=body)
        drain_queue()

    reply("First reply")
    email = smtp_server.messages[0]
    header_url = email["List-Unsubscribe"].strip()[1:-1].removeprefix("http://testserver")
    assert header_url == links_in(email.get_body(preferencelist=("plain",)).get_content())[-1]
    # The mail client's one-click POST (RFC 8058): no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(header_url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    from conversations.services import conversation_mark_read

    conversation_mark_read(reader=world["john"], conversation=world["johns"])
    reply("Second reply")
    assert len(smtp_server.messages) == 1


def _signed(payload, *, salt=UNSUBSCRIBE_SALT, age=0):
    class Then(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - age)

    return Then(salt=salt).sign_object(payload)


def _with_payload_of(token, payload):
    """The token with another payload and its original signature."""
    _, timestamp, signature = token.split(":")
    data = signing.b64_encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return f"{data}:{timestamp}:{signature}"


@pytest.mark.parametrize("case", ["tampered", "expired", "other purpose", "other preference", "address changed",
                                  "garbage"])
def test_bad_tokens_are_refused_and_change_nothing(world, case):
    john = world["john"]
    good = make_unsubscribe_token(john, "notify_messages")
    payload = signing.loads(good, salt=UNSUBSCRIBE_SALT)
    token = {
        # Another person's id under John's signature.
        "tampered": _with_payload_of(good, {**payload, "u": world["jane"].pk}),
        "expired": _signed(payload, age=UNSUBSCRIBE_MAX_AGE + 60),
        "other purpose": _signed(payload, salt="designpi.accounts.password_reset"),
        "other preference": _signed({**payload, "p": "is_active"}),
        "address changed": good,
        "garbage": "not-a-token",
    }[case]
    if case == "address changed":
        john.email = "john.new@example.test"
        john.save(update_fields=["email"])
    for method in ("get", "post"):
        response = getattr(Client(), method)(unsubscribe_url(token))
        assert response.status_code == 400, (case, method)
        assert b"unsubscribe link" in response.content
    assert fresh(john).notify_messages is True
    assert fresh(world["jane"]).notify_messages is True


def test_a_good_token_just_within_its_age_still_works(world):
    payload = signing.loads(make_unsubscribe_token(world["john"], "notify_messages"), salt=UNSUBSCRIBE_SALT)
    response = Client().post(unsubscribe_url(_signed(payload, age=UNSUBSCRIBE_MAX_AGE - 60)))
    assert response.status_code == 200
    assert fresh(world["john"]).notify_messages is False


def test_unsubscribe_other_methods_are_refused(world):
    token = make_unsubscribe_token(world["john"], "notify_messages")
    assert Client().put(unsubscribe_url(token)).status_code == 405
