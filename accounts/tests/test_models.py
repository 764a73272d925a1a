import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Role, User

pytestmark = pytest.mark.django_db


def test_create_user_lowercases_email_and_hashes_the_password():
    user = User.objects.create_user("  Mixed.Case@Example.COM ", "s3cret-pass", name="Mixed", role=Role.STAFF)
    assert user.email == "mixed.case@example.com"
    assert user.check_password("s3cret-pass")
    assert user.password != "s3cret-pass"
    assert user.role == Role.STAFF and user.is_team and not user.is_admin


def test_email_is_unique_whatever_the_case():
    User.objects.create_user("one@example.com", "pw")
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        User.objects.create_user("ONE@example.com", "pw")


def test_login_by_email_ignores_case(rf):
    User.objects.create_user("login@example.com", "right-password")
    request = rf.post("/accounts/login/")
    assert authenticate(request, username="LOGIN@Example.com", password="right-password") is not None
    assert authenticate(request, username="login@example.com", password="wrong") is None


def test_customers_default_and_control_characters_in_names_are_refused():
    assert User.objects.create_user("c@example.com", "pw").role == Role.CUSTOMER
    with pytest.raises(ValidationError):
        User.objects.create_user("nul@example.com", "pw", name="bad\x00name")
    assert not User.objects.filter(email="nul@example.com").exists()


def test_only_active_admins_get_the_django_admin():
    admin = User.objects.create_user("a@example.com", "pw", role=Role.ADMIN)
    staff = User.objects.create_user("s@example.com", "pw", role=Role.STAFF)
    assert admin.is_staff and admin.has_perm("conversations.view_conversation")
    assert not staff.is_staff and not staff.has_module_perms("conversations")
    admin.is_active = False
    assert not admin.is_staff


def test_team_queryset_is_active_admins_and_staff(admin_user, sarah, mike, john):
    mike.is_active = False
    mike.save()
    assert set(User.objects.team()) == {admin_user, sarah}


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root@example.com", "pw", name="Root")
    assert user.role == Role.ADMIN
