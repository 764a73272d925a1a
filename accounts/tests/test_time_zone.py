"""Issue 15 (one piece): the browser's time zone is stored the first time the person signs
in, or accepts an invitation; a bogus value is ignored; a stored zone is not overwritten."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Role
from accounts.services import user_invite, user_remember_time_zone
from accounts.tokens import invitation_tokens
from tests.personas import PASSWORD

LOGIN = reverse("accounts:login")


def sign_in(user, **extra):
    response = Client().post(LOGIN, {"username": user.email, "password": PASSWORD, **extra})
    assert response.status_code == 302
    user.refresh_from_db()


def test_the_sign_in_form_carries_the_hidden_field_app_js_fills(db):
    html = Client().get(LOGIN).content.decode()
    assert '<input type="hidden" name="time_zone" data-time-zone' in html


def test_first_sign_in_stores_the_zone(john):
    sign_in(john, time_zone="Europe/Paris")
    assert john.time_zone == "Europe/Paris"


def test_a_stored_zone_is_kept(john):
    sign_in(john, time_zone="Europe/Paris")
    sign_in(john, time_zone="America/New_York")
    assert john.time_zone == "Europe/Paris"


@pytest.mark.parametrize("bogus", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 500, "", "europe/paris"])
def test_a_bogus_zone_is_ignored_and_sign_in_still_works(john, bogus):
    sign_in(john, time_zone=bogus)
    assert john.time_zone == ""


def test_a_failed_sign_in_stores_nothing(john):
    Client().post(LOGIN, {"username": john.email, "password": "wrong", "time_zone": "Europe/Paris"})
    john.refresh_from_db()
    assert john.time_zone == ""


def test_the_invitation_page_stores_it(admin_user):
    nina = user_invite(actor=admin_user, email="nina@example.test", name="Nina", role=Role.STAFF)
    path = reverse("accounts:invitation_accept", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(nina.pk)), "token": invitation_tokens.make_token(nina)})
    client = Client()
    assert 'name="time_zone" data-time-zone' in client.get(path).content.decode()
    password = "a-long-new-passphrase-42"
    response = client.post(path, {"new_password1": password, "new_password2": password, "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.time_zone == "Asia/Tokyo"


def test_the_service_refuses_unknown_names(john):
    assert user_remember_time_zone(user=john, time_zone="Not/AZone") is False
    assert user_remember_time_zone(user=john, time_zone="UTC") is True
    john.refresh_from_db()
    assert john.time_zone == "UTC"
