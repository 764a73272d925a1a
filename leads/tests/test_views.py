import pytest
from django.urls import reverse

from leads.models import LeadStatus
from tests.factories import LeadFactory

LEADS = reverse("console:lead_list")


def status_url(lead):
    return reverse("console:lead_status", args=[lead.pk])


@pytest.mark.django_db
class TestLeadList:
    def test_lists_with_filter(self, as_user, admin_user, alice_lead):
        LeadFactory(name="Bob Prospect", status=LeadStatus.LOST)
        client = as_user(admin_user)
        html = client.get(LEADS).content.decode()
        assert "Alice Brown" in html and "Bob Prospect" in html
        html = client.get(LEADS, {"status": "lost"}).content.decode()
        assert "Bob Prospect" in html and "Alice Brown" not in html

    def test_bad_filter_400(self, as_user, admin_user):
        assert as_user(admin_user).get(LEADS, {"status": "hot"}).status_code == 400

    def test_needs_login(self, client):
        assert client.get(LEADS).status_code == 302

    @pytest.mark.parametrize("persona", ["sarah", "john"])
    def test_wrong_role(self, request, as_user, persona):
        assert as_user(request.getfixturevalue(persona)).get(LEADS).status_code == 403

    def test_wrong_method(self, as_user, admin_user):
        assert as_user(admin_user).post(LEADS).status_code == 405

    @pytest.mark.parametrize("rows", [3, 50])
    def test_query_count(self, as_user, admin_user, rows, django_assert_num_queries):
        LeadFactory.create_batch(rows)
        client = as_user(admin_user)
        # 1 session, 2 user, 3 count, 4 the page of leads
        with django_assert_num_queries(4):
            assert client.get(LEADS).status_code == 200


@pytest.mark.django_db
class TestLeadStatus:
    def test_inline_change_returns_the_row(self, as_user, admin_user, alice_lead):
        response = as_user(admin_user).post(status_url(alice_lead), {"status": "qualified"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.content.decode().strip().startswith(f'<tr id="lead-{alice_lead.pk}">')
        alice_lead.refresh_from_db()
        assert alice_lead.status == LeadStatus.QUALIFIED

    def test_plain_post_redirects(self, as_user, admin_user, alice_lead):
        assert as_user(admin_user).post(status_url(alice_lead), {"status": "lost"})["Location"] == LEADS

    def test_bad_status_400(self, as_user, admin_user, alice_lead):
        assert as_user(admin_user).post(status_url(alice_lead), {"status": "won"}).status_code == 400
        alice_lead.refresh_from_db()
        assert alice_lead.status == LeadStatus.NEW

    def test_missing_lead_404(self, as_user, admin_user):
        assert as_user(admin_user).post("/admin/leads/424242/status/", {"status": "lost"}).status_code == 404
        assert as_user(admin_user).post("/admin/leads/" + "9" * 20 + "/status/", {"status": "lost"}).status_code == 404

    @pytest.mark.parametrize("persona", ["sarah", "john"])
    def test_wrong_role(self, request, as_user, persona, alice_lead):
        assert as_user(request.getfixturevalue(persona)).post(status_url(alice_lead), {"status": "lost"}).status_code == 403

    def test_wrong_method(self, as_user, admin_user, alice_lead):
        assert as_user(admin_user).get(status_url(alice_lead)).status_code == 405


def conversation_url(lead):
    return reverse("console:lead_conversation", args=[lead.pk])


@pytest.mark.django_db
class TestLeadConversation:
    def test_starts_one_then_opens_it(self, as_user, admin_user, alice_lead):
        from conversations.models import Conversation

        client = as_user(admin_user)
        assert "Start conversation" in client.get(LEADS).content.decode()
        response = client.post(conversation_url(alice_lead))
        conversation = Conversation.objects.get(lead=alice_lead)
        assert response.status_code == 302
        assert response["Location"] == reverse("console:conversation_detail", args=[conversation.pk])
        assert conversation.source == "lead" and conversation.assigned_to is None
        # A second click opens the same conversation, and the list now links to it.
        assert client.post(conversation_url(alice_lead))["Location"] == response["Location"]
        assert Conversation.objects.filter(lead=alice_lead).count() == 1
        assert response["Location"] in client.get(LEADS).content.decode()

    def test_needs_login(self, client, alice_lead):
        assert client.post(conversation_url(alice_lead)).status_code == 302

    @pytest.mark.parametrize("persona", ["sarah", "john"])
    def test_wrong_role_changes_nothing(self, request, as_user, persona, alice_lead):
        assert as_user(request.getfixturevalue(persona)).post(conversation_url(alice_lead)).status_code == 403
        assert not alice_lead.conversations.exists()

    def test_missing_lead_404(self, as_user, admin_user):
        assert as_user(admin_user).post(reverse("console:lead_conversation", args=[987654])).status_code == 404

    def test_wrong_method(self, as_user, admin_user, alice_lead):
        assert as_user(admin_user).get(conversation_url(alice_lead)).status_code == 405
