"""Sign-in, sign-out, password change, landing pages, `next`, wrong roles, expired
sessions on htmx requests (SPEC §2)."""

import pytest
from django.urls import reverse

from tests.answers import comparable
from tests.factories import CustomerFactory
from tests.personas import PASSWORD

LOGIN = reverse("accounts:login")


def sign_in(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


@pytest.mark.django_db
class TestSignIn:
    def test_form_labels_and_button(self, client):
        html = client.get(LOGIN).content.decode()
        assert ">Email</label>" in html and ">Password</label>" in html and ">Sign in</button>" in html

    @pytest.mark.parametrize("persona, home", [
        ("admin_user", "/admin/"), ("sarah", "/staff/conversations/"), ("john", "/portal/chat/"),
    ])
    def test_each_role_lands_on_its_home(self, request, client, persona, home):
        user = request.getfixturevalue(persona)
        response = sign_in(client, user.email)
        assert response.status_code == 302 and response["Location"] == home

    def test_email_is_case_insensitive(self, client, john):
        assert sign_in(client, "  JOHN@Example.TEST ")["Location"] == "/portal/chat/"

    def test_wrong_password_unknown_email_and_inactive_account_look_the_same(self, client, john):
        """One browser trying one after another: every answer is the same page, byte for
        byte and header for header, apart from the tokens and the typed (same-length)
        email. The whole-answer comparison is in tests/answers.py."""
        inactive = CustomerFactory(email="jill@example.test", is_active=False)
        attempts = [(john.email, "nope"), ("nope@example.test", "nope"), (inactive.email, PASSWORD)]
        assert len({len(email) for email, _ in attempts}) == 1
        answers = [comparable(sign_in(client, email, password), typed_email=email) for email, password in attempts]
        assert answers[0]["status"] == 200
        assert "That email and password do not match an active account." in answers[0]["body"]
        assert answers[1] == answers[0] and answers[2] == answers[0]

    def test_same_site_next_is_honoured(self, client, sarah):
        assert sign_in(client, sarah.email, next="/staff/tickets/")["Location"] == "/staff/tickets/"

    @pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
    def test_foreign_next_is_ignored(self, client, sarah, target):
        assert sign_in(client, sarah.email, next=target)["Location"] == "/staff/conversations/"

    def test_login_rotates_the_session(self, client, john):
        client.get(LOGIN)
        client.cookies["sessionid"] = "attacker-chosen"
        sign_in(client, john.email)
        assert client.cookies["sessionid"].value != "attacker-chosen"

    def test_signed_in_user_visiting_login_goes_home(self, as_user, john):
        assert as_user(john).get(LOGIN)["Location"] == "/portal/chat/"

    def test_root_sends_people_home(self, as_user, client, mike):
        assert as_user(mike).get("/", follow=True).redirect_chain[-1][0] == "/staff/conversations/"
        assert client.get("/", follow=True).redirect_chain[-1][0].startswith(LOGIN)


@pytest.mark.django_db
class TestSignOut:
    def test_post_signs_out(self, as_user, john):
        client = as_user(john)
        response = client.post(reverse("accounts:logout"))
        assert response.status_code == 302 and response["Location"] == LOGIN
        assert client.get("/portal/chat/").status_code == 302

    def test_get_does_not_sign_out(self, as_user, john):
        client = as_user(john)
        assert client.get(reverse("accounts:logout")).status_code == 405
        assert client.get("/portal/chat/").status_code == 200


@pytest.mark.django_db
class TestPasswordChange:
    def test_change(self, as_user, john, client):
        user_client = as_user(john)
        assert user_client.get(reverse("accounts:password_change")).status_code == 200
        response = user_client.post(reverse("accounts:password_change"), {
            "old_password": PASSWORD, "new_password1": "a-much-better-pass-42", "new_password2": "a-much-better-pass-42",
        })
        assert response.status_code == 302
        assert sign_in(client, john.email, "a-much-better-pass-42")["Location"] == "/portal/chat/"

    def test_needs_login(self, client):
        assert client.get(reverse("accounts:password_change")).status_code == 302


@pytest.mark.django_db
class TestRolesAndHtmx:
    @pytest.mark.parametrize("persona, url", [
        ("john", "/staff/conversations/"), ("john", "/admin/conversations/"),
        ("sarah", "/admin/conversations/"), ("sarah", "/portal/chat/"), ("admin_user", "/portal/chat/"),
    ])
    def test_wrong_role_is_403(self, request, as_user, persona, url):
        assert as_user(request.getfixturevalue(persona)).get(url).status_code == 403

    def test_expired_session_on_htmx_gets_hx_redirect(self, client):
        response = client.get("/staff/conversations/rows/", HTTP_HX_REQUEST="true",
                              HTTP_HX_CURRENT_URL="http://testserver/staff/conversations/?status=OPEN")
        assert response.status_code == 204 and response.content == b""
        assert response["HX-Redirect"] == LOGIN + "?next=%2Fstaff%2Fconversations%2F%3Fstatus%3DOPEN"

    def test_plain_request_gets_the_login_redirect(self, client):
        response = client.get("/staff/conversations/")
        assert response.status_code == 302 and response["Location"] == LOGIN + "?next=/staff/conversations/"

    def test_deactivated_user_is_signed_out(self, as_user, john):
        client = as_user(john)
        john.is_active = False
        john.save()
        assert client.get("/portal/chat/").status_code == 302
