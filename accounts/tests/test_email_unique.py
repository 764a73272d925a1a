"""One account per email address whatever its spelling, on SQLite and MariaDB alike
(issue 9 A11). SQLite compares text case-sensitively, MariaDB's collation does not;
before the constraint a second spelling could be stored on SQLite and the
case-insensitive sign-in lookup then answered 500 (MultipleObjectsReturned)."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Role, User
from tests.personas import PASSWORD, client_for

SPELLINGS = ["JOHN@EXAMPLE.TEST", "John@Example.test", "john@EXAMPLE.test"]


def second_spelling_attempts(john, jane):
    """Every ORM path that skips the manager's normalisation."""
    return {
        "save": lambda spelling: User(email=spelling, name="Copy", role=Role.CUSTOMER).save(),
        "bulk_create": lambda spelling: User.objects.bulk_create([User(email=spelling, name="Copy")]),
        "update": lambda spelling: User.objects.filter(pk=jane.pk).update(email=spelling),
    }


@pytest.mark.parametrize("how", ["save", "bulk_create", "update"])
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_a_second_spelling_of_an_email_cannot_be_stored(john, jane, how, spelling):
    before = list(User.objects.order_by("pk").values_list("pk", "email"))
    with pytest.raises(IntegrityError), transaction.atomic():
        second_spelling_attempts(john, jane)[how](spelling)
    assert list(User.objects.order_by("pk").values_list("pk", "email")) == before


def test_sign_in_with_any_spelling_works_and_never_answers_500(john, jane, client):
    for how in ("save", "update"):
        try:
            with transaction.atomic():
                second_spelling_attempts(john, jane)[how]("John@Example.test")
        except IntegrityError:
            pass
    for spelling in [john.email, *SPELLINGS, "  John@Example.TEST "]:
        response = client.post("/accounts/login/", {"username": spelling, "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/portal/chat/", spelling
        client.post("/accounts/logout/")
    wrong = client.post("/accounts/login/", {"username": "JOHN@example.test", "password": "nope"})
    assert wrong.status_code == 200


def test_forms_store_the_address_in_lower_case_and_refuse_a_second_spelling(john, admin_user):
    admin = client_for(admin_user)
    password = "a-long-new-password-42"
    added = admin.post("/django-admin/accounts/user/add/", {
        "email": "New.Person@Example.TEST", "name": "New Person", "role": Role.STAFF,
        "password1": password, "password2": password,
    })
    assert added.status_code == 302
    assert User.objects.filter(email="new.person@example.test").exists()

    count = User.objects.count()
    duplicate = admin.post("/django-admin/accounts/user/add/", {
        "email": "JOHN@example.test", "name": "Not John", "role": Role.CUSTOMER,
        "password1": password, "password2": password,
    })
    assert duplicate.status_code == 200
    assert "already exists" in duplicate.content.decode()
    assert User.objects.count() == count


# --- the migration ---------------------------------------------------------------------

BEFORE, AFTER = ("accounts", "0001_initial"), ("accounts", "0002_email_lower_case")


def migrate_to(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return MigrationExecutor(connection).loader.project_state([target]).apps


def migrate_to_latest():
    """Every app's newest migration: going back to BEFORE also unapplied the later
    accounts migrations, which AFTER alone would not bring back."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_the_constraint(transactional_db):
    """The schema as it was before 0002; put back to the latest state afterwards, even
    when the test fails (the schema outlives a transactional test)."""
    apps = migrate_to(BEFORE)
    try:
        yield apps.get_model("accounts", "User")
    finally:
        migrate_to_latest()  # first: today's User needs today's columns to delete its rows
        User.objects.all().delete()


def test_the_migration_lower_cases_existing_addresses(before_the_constraint):
    OldUser = before_the_constraint
    mixed = OldUser.objects.create(email="Mixed.Case@Example.TEST", name="Mixed", password="!")
    lower = OldUser.objects.create(email="already@example.test", name="Lower", password="!")
    # The model as of AFTER: today's User has columns later migrations add (0004: time_zone…).
    AfterUser = migrate_to(AFTER).get_model("accounts", "User")
    assert AfterUser.objects.get(pk=mixed.pk).email == "mixed.case@example.test"
    assert AfterUser.objects.get(pk=lower.pk).email == "already@example.test"
    with pytest.raises(IntegrityError), transaction.atomic():
        AfterUser.objects.bulk_create([AfterUser(email="Already@Example.test", name="Copy", password="!")])


def test_the_migration_stops_and_names_accounts_that_would_collide(before_the_constraint):
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite can hold two spellings of one address before the migration: "
                    "MariaDB's case-insensitive unique index already refuses the second")
    OldUser = before_the_constraint
    first = OldUser.objects.create(email="dup@example.test", name="One", password="!")
    second = OldUser.objects.create(email="Dup@Example.test", name="Two", password="!")
    with pytest.raises(Exception, match="belong to more than one account") as raised:
        migrate_to(AFTER)
    assert f"id {first.pk} (dup@example.test)" in str(raised.value)
    assert f"id {second.pk} (Dup@Example.test)" in str(raised.value)
    # Nothing was half-done: both rows as they were, and the migration is not recorded.
    assert sorted(OldUser.objects.values_list("email", flat=True)) == ["Dup@Example.test", "dup@example.test"]
    assert AFTER not in MigrationExecutor(connection).loader.applied_migrations
    OldUser.objects.filter(pk=second.pk).update(email="old-two@invalid")
