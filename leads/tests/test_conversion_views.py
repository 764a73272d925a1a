"""The lead panel on the console's conversation page (issue 12, item 5) and its two
actions: the lead's status and "Make customer" (item 6). Who may call them at all is in
tests/test_access_matrix.py; here: what each shows and answers."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from conversations.models import Conversation, Source
from conversations.services import conversation_assign, conversation_start_for_lead
from leads.models import LeadStatus
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def page(conversation):
    return reverse("console:conversation_detail", args=[conversation.pk])


def convert_url(conversation):
    return reverse("console:conversation_make_customer", args=[conversation.pk])


def lead_status_url(conversation):
    return reverse("console:conversation_lead_status", args=[conversation.pk])


def test_admins_see_the_lead_panel_beside_the_thread(world, as_user):
    alices = world["alices"]
    second = conversation_start_for_lead(actor=world["admin"], lead=world["alice"])
    html = as_user(world["admin"]).get(page(alices)).content.decode()
    assert 'id="participant-card"' in html and "lead-panel" in html
    for fact in ("Alice Brown", "alice@startup.test", "Prospect Inc", "Added"):
        assert fact in html
    assert 'id="panel-lead-status"' in html  # the status, editable here
    assert "Conversations with Alice Brown" in html
    assert f'href="{page(second)}"' in html and "(this one)" in html
    assert "Make customer" in html and 'id="make-customer-conversation"' in html  # two to choose from


def test_staff_see_the_lead_contact_details_but_no_lead_controls(world, as_user):
    """Decided: the assigned staff member sees who they talk to (name, email, company,
    phone, lead status, added) as before, not the lead's other conversations (console
    links they cannot open) nor the status control or Make customer (admins' decisions)."""
    alices = world["alices"]
    conversation_assign(actor=world["admin"], conversation=alices, assignee=world["sarah"])
    html = as_user(world["sarah"]).get(reverse("staff:conversation_detail", args=[alices.pk])).content.decode()
    assert "alice@startup.test" in html and "Lead status" in html and "New" in html
    assert "Make customer" not in html and "Conversations with" not in html
    assert 'id="panel-lead-status"' not in html and "make-customer" not in html


def test_a_customer_conversation_has_no_lead_panel(world, as_user):
    html = as_user(world["admin"]).get(page(world["johns"])).content.decode()
    assert "Make customer" not in html and "lead-panel" not in html


@pytest.mark.parametrize("others", [0, 5])
def test_the_lead_page_costs_the_same_whatever_the_number_of_lead_conversations(
        world, as_user, others, django_assert_num_queries):
    for _ in range(others):
        conversation_start_for_lead(actor=world["admin"], lead=world["alice"])
    client = as_user(world["admin"])
    # 1 session, 2 user, 3 the conversation (with lead, customer, assignee), 4 the
    # messages, 5 mark read (update), 6 the conversation's updated_at, 7 the viewer's
    # @mention marks cleared (update), 8 the ticket, 9 automatic assignments, 10 the team
    # (assign select, also who may be @mentioned), 11 the lead's conversations
    with django_assert_num_queries(11):
        assert client.get(page(world["alices"])).status_code == 200


def test_make_customer_from_the_panel(world, as_user):
    alices = world["alices"]
    client = as_user(world["admin"])
    response = client.post(convert_url(alices), {"conversation": alices.pk})
    assert response.status_code == 302 and response["Location"] == page(alices)
    html = client.get(page(alices)).content.decode()
    assert "Alice Brown is now a customer" in html and "alice@startup.test" in html
    # The page is the customer's now: no lead controls; the history is still there.
    assert "Make customer" not in html and "Was a lead" in html and "Portal conversation" in html
    assert "Hello from Alice" in html
    alices.refresh_from_db()
    assert alices.source == Source.CUSTOMER and alices.customer.email == "alice@startup.test"


def test_make_customer_of_another_of_the_leads_conversations(world, as_user):
    alices = world["alices"]
    second = conversation_start_for_lead(actor=world["admin"], lead=world["alice"])
    response = as_user(world["admin"]).post(convert_url(alices), {"conversation": second.pk})
    assert response.status_code == 302 and response["Location"] == page(second)
    second.refresh_from_db()
    alices.refresh_from_db()
    assert second.source == Source.CUSTOMER and alices.source == Source.LEAD


def unchanged(world):
    return (User.objects.count(),
            list(Conversation.objects.order_by("pk").values_list("source", "customer_id")),
            world["alice"].__class__.objects.get(pk=world["alice"].pk).status)


@pytest.mark.parametrize("case, data, reason", [
    ("taken", None, "An account with the email alice@startup.test already exists"),
    ("johns", None, "That conversation is not one of this lead&#x27;s."),
    ("missing", {"conversation": "987654321"}, "That conversation does not exist."),
    ("empty", {}, "Choose the conversation that becomes their portal conversation."),
    ("junk", {"conversation": "1 OR 1=1"}, "That conversation does not exist."),
])
def test_refusals_show_the_page_again_with_the_reason_and_change_nothing(world, as_user, case, data, reason):
    alices = world["alices"]
    if case == "taken":
        CustomerFactory(email="alice@startup.test")
    if data is None:
        data = {"conversation": world["johns"].pk if case == "johns" else alices.pk}
    before = unchanged(world)
    response = as_user(world["admin"]).post(convert_url(alices), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert reason in html and 'role="alert"' in html
    assert "Hello from Alice" in html  # the page again, not a bare error
    assert unchanged(world) == before


def test_already_converted_answers_400_with_the_reason(world, as_user):
    alices = world["alices"]
    client = as_user(world["admin"])
    assert client.post(convert_url(alices), {"conversation": alices.pk}).status_code == 302
    before = unchanged(world)
    response = client.post(convert_url(alices), {"conversation": alices.pk})
    assert response.status_code == 400 and "already converted" in response.content.decode()
    assert unchanged(world) == before


def test_a_customer_conversation_is_no_lead(world, as_user):
    response = as_user(world["admin"]).post(convert_url(world["johns"]), {"conversation": world["johns"].pk})
    assert response.status_code == 400 and "This conversation is not with a lead." in response.content.decode()


def test_without_a_csrf_token_nothing_happens(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    before = unchanged(world)
    assert client.post(convert_url(world["alices"]), {"conversation": world["alices"].pk}).status_code == 403
    assert client.post(lead_status_url(world["alices"]), {"status": "lost"}).status_code == 403
    assert unchanged(world) == before


def test_the_lead_status_changes_from_the_panel(world, as_user):
    alices, client = world["alices"], as_user(world["admin"])
    response = client.post(lead_status_url(alices), {"status": "qualified"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<aside id="conversation-panel"') and "Saved" in html
    assert '<option value="qualified" selected>' in html
    world["alice"].refresh_from_db()
    assert world["alice"].status == LeadStatus.QUALIFIED
    assert client.post(lead_status_url(alices), {"status": "lost"})["Location"] == page(alices)
    assert client.post(lead_status_url(alices), {"status": "won"}).status_code == 400
    world["alice"].refresh_from_db()
    assert world["alice"].status == LeadStatus.LOST


def test_the_lead_status_of_a_converted_lead_stays(world, as_user):
    alices, client = world["alices"], as_user(world["admin"])
    client.post(convert_url(alices), {"conversation": alices.pk})
    response = client.post(lead_status_url(alices), {"status": "new"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400 and "stays Converted" in response.content.decode()
    world["alice"].refresh_from_db()
    assert world["alice"].status == LeadStatus.CONVERTED
    assert client.post(lead_status_url(world["johns"]), {"status": "new"}).status_code == 400  # no lead there


def test_lists_show_the_lead_badge_only_while_it_is_a_lead_conversation(world, as_user):
    client = as_user(world["admin"])
    listing = reverse("console:conversation_list")
    assert client.get(listing).content.decode().count('class="tag tag-lead"') == 1
    client.post(convert_url(world["alices"]), {"conversation": world["alices"].pk})
    assert client.get(listing).content.decode().count('class="tag tag-lead"') == 0
    assert 'class="tag tag-lead"' not in client.get(reverse("console:ticket_list")).content.decode()


def test_the_leads_page_shows_a_converted_lead_as_a_customer(world, as_user):
    client = as_user(world["admin"])
    client.post(convert_url(world["alices"]), {"conversation": world["alices"].pk})
    html = client.get(reverse("console:lead_list")).content.decode()
    row = html[html.index(f'id="lead-{world["alice"].pk}"'):]
    row = row[:row.index("</tr>")]
    assert "Customer" in row and "since" in row and "<select" not in row


def test_a_lead_marked_converted_by_hand_says_how_to_make_them_a_customer(world, as_user):
    client = as_user(world["admin"])
    client.post(lead_status_url(world["alices"]), {"status": "converted"})
    html = client.get(page(world["alices"])).content.decode()
    assert "Marked Converted by hand" in html and "make-customer-form" not in html
    client.post(lead_status_url(world["alices"]), {"status": "qualified"})
    assert "make-customer-form" in client.get(page(world["alices"])).content.decode()
