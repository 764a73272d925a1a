import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

PEOPLE = reverse("console:people_list")


@pytest.mark.django_db
class TestPeopleList:
    def test_lists_everyone_with_role_filter(self, as_user, admin_user, sarah, john):
        client = as_user(admin_user)
        html = client.get(PEOPLE).content.decode()
        assert "Sarah Johnson" in html and "John Doe" in html and "Acme Corporation" in html
        html = client.get(PEOPLE, {"role": "staff"}).content.decode()
        assert "Sarah Johnson" in html and "John Doe" not in html

    def test_bad_role_400(self, as_user, admin_user):
        assert as_user(admin_user).get(PEOPLE, {"role": "superuser"}).status_code == 400

    def test_names_are_escaped(self, as_user, admin_user):
        CustomerFactory(name='"><svg onload=alert(1)>')
        html = as_user(admin_user).get(PEOPLE).content.decode()
        assert "<svg onload" not in html and "&lt;svg onload=alert(1)&gt;" in html

    def test_needs_login(self, client):
        assert client.get(PEOPLE).status_code == 302

    @pytest.mark.parametrize("persona", ["sarah", "john"])
    def test_wrong_role(self, request, as_user, persona):
        assert as_user(request.getfixturevalue(persona)).get(PEOPLE).status_code == 403

    def test_wrong_method(self, as_user, admin_user):
        assert as_user(admin_user).post(PEOPLE).status_code == 405

    @pytest.mark.parametrize("rows", [3, 50])
    def test_query_count(self, as_user, admin_user, rows, django_assert_num_queries):
        CustomerFactory.create_batch(rows)
        client = as_user(admin_user)
        # 1 session, 2 user, 3 count, 4 the page of people
        with django_assert_num_queries(4):
            assert client.get(PEOPLE).status_code == 200
