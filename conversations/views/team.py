"""A conversation's page for the support team: history, reply, status, and in the
admin console also assignment and priority.

Two portals show it: the staff inbox (views/staff.py, "assigned to me", for admins
too) and the admin console (views/admin.py, every conversation). Each portal says
what it is with a TeamPortal and passes it in; nothing here looks at the URL or a
request header to decide who may see what or which controls are shown.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.selectors import team_member_list
from designpi.controls import id_urls, select
from designpi.http import invalid_change, is_cross_site
from leads.forms import LeadStatusForm
from leads.models import LeadStatus
from notifications.emails import recipient_zone
from tickets.forms import PriorityForm
from tickets.models import SupportTicket

from ..forms import SNOOZE_CHOICES, AssignForm, SnoozeForm, StatusForm
from ..models import Conversation
from ..selectors import conversation_get_for, mentionable_for
from ..services import conversation_set_status, conversation_snooze, mention_clear
from .lists import list_rows
from .thread import mark_shown_read, recent_messages, thread_context, thread_poll, thread_send

DETAIL_TEMPLATE = "conversations/detail.html"


@dataclass(frozen=True)
class TeamPortal:
    namespace: str  # the URL namespace its views are mounted under
    base_template: str
    # The staff inbox: only conversations assigned to the viewer (admins included).
    assigned_only: bool
    # The admin console: every control (assignment, priority) and the row fragment.
    manages: bool

    def conversation_for(self, request, pk) -> Conversation:
        """The one access check for every thread URL of this portal: page, poll, reply, status."""
        return conversation_get_for(request.user, pk, assigned_only=self.assigned_only)

    def urls(self, conversation) -> dict:
        args = [conversation.pk]
        urls = {
            "page": reverse(f"{self.namespace}:conversation_detail", args=args),
            "list": reverse(f"{self.namespace}:conversation_list"),
            "poll": reverse(f"{self.namespace}:conversation_messages", args=args),
            "send": reverse(f"{self.namespace}:conversation_reply", args=args),
            "status": reverse(f"{self.namespace}:conversation_status", args=args),
            # The message box's saved-replies picker (replies app; one URL for both portals).
            "replies": reverse("staff:conversation_replies", args=args),
            "snooze": reverse(f"{self.namespace}:conversation_snooze", args=args),
        }
        if self.manages:
            urls["assign"] = reverse(f"{self.namespace}:conversation_assign", args=args)
            urls["priority"] = reverse(f"{self.namespace}:conversation_priority", args=args)
            if conversation.lead_id:
                urls["lead_status"] = reverse(f"{self.namespace}:conversation_lead_status", args=args)
                urls["make_customer"] = reverse(f"{self.namespace}:conversation_make_customer", args=args)
        return urls


STAFF = TeamPortal(namespace="staff", base_template="staff/base.html", assigned_only=True, manages=False)
CONSOLE = TeamPortal(namespace="console", base_template="console/base.html", assigned_only=False, manages=True)


def panel_context(portal: TeamPortal, conversation) -> dict:
    """The side panel: participant, ticket, and the controls this portal offers."""
    ticket = SupportTicket.objects.filter(conversation=conversation).first()
    context = {
        "conversation": conversation,
        "ticket": ticket,
        "participant": conversation.participant,
        "manages": portal.manages,
        "status_form": StatusForm.for_conversation(conversation, id="panel-status"),
        "snooze_presets": [choice for choice in SNOOZE_CHOICES if choice[0] != "custom"],
        "urls": portal.urls(conversation),
        # Automatic assignments (issue 14), newest first: one query.
        "assignment_records": list(conversation.assignment_records.select_related("assignee")[:5]),
    }
    if portal.manages:
        team = context["team_members"] = team_member_list()
        context["assign_form"] = AssignForm.for_conversation(conversation, team=team, id="panel-assign")
        if ticket is not None:
            context["priority_form"] = PriorityForm.for_ticket(ticket, id="panel-priority")
        if conversation.lead_id:
            context.update(lead_panel_context(conversation))
    return context


# The lead panel lists at most this many of the lead's conversations (newest first).
LEAD_CONVERSATIONS_SHOWN = 20


def lead_panel_context(conversation) -> dict:
    """The console's lead panel (issue 12): the lead's conversations, its status control and
    "Make customer" while it is not converted. Admins only: the staff inbox shows the lead's
    contact details and status (as before) but neither the lead's other conversations
    (console links a staff member cannot open) nor any lead control. One query."""
    lead = conversation.lead
    lead_conversations = list(
        Conversation.objects.filter(lead_id=lead.pk).order_by("-id")[:LEAD_CONVERSATIONS_SHOWN]
    )
    can_convert = not lead.is_converted and lead.status != LeadStatus.CONVERTED and conversation.is_lead
    choices = [c for c in lead_conversations if c.is_lead] if can_convert else []
    if can_convert and conversation.pk not in {c.pk for c in choices}:
        choices.insert(0, conversation)  # a lead with more than LEAD_CONVERSATIONS_SHOWN: this one is offered
    return {
        "lead": lead,
        "lead_conversations": lead_conversations,
        "lead_status_form": None if lead.is_converted else LeadStatusForm.for_lead(lead, id="panel-lead-status"),
        "can_convert": can_convert,
        # Which conversation becomes the portal one; this one is preselected.
        "convert_choices": choices,
    }


def console_row_context(rows, *, team=None) -> dict:
    """The console list's rows and the controls every row shows. A row's "Assign to"
    carries only its current assignee; the team's options are rendered once for the
    page (``team``, a <template> app.js copies into a row's select when it is opened),
    so a page costs the same whatever the team's size (issue 13.3). A single row sent
    back after a change needs no team: the page already has the options."""
    status_field = StatusForm()["status"]
    # What each row prints beyond its values, worked out here once per row instead of
    # through template filters and tags (a fifth of the rows' rendering time).
    detail, assign, status = (id_urls(f"console:conversation_{name}") for name in ("detail", "assign", "status"))
    for row in rows:
        pk = row["conversation"].pk
        row["detail_url"], row["assign_url"], row["status_url"] = detail(pk), assign(pk), status(pk)
        row["status_select"] = select(status_field, id=f"status-{pk}", current=row["status"],
                                      css_class=f"status-select status-{row['status_key']}")
    context = {"rows": rows, "status_field": status_field}
    if team is not None:
        context["assign_field"] = AssignForm.for_team(team)["assigned_to"]
    return context


def render_detail(request, portal: TeamPortal, conversation, *, messages, form=None, status=200, extra=None):
    context = thread_context(request, conversation, messages=messages, urls=portal.urls(conversation), form=form)
    context.update(panel_context(portal, conversation))
    # The note hint names who can be @mentioned here (the console reuses its team list).
    context["mentionable"] = mentionable_for(conversation, team=context.get("team_members"))
    context.update(extra or {})
    context["base_template"] = portal.base_template
    return render(request, DETAIL_TEMPLATE, context, status=status)


def conversation_detail(request, pk, *, portal: TeamPortal):
    """History, reply box and the panel. Opening it marks the participant's messages
    read, up to what it shows."""
    conversation = portal.conversation_for(request, pk)
    messages = recent_messages(conversation, for_team=True)
    mark_shown_read(request, conversation=conversation, messages=messages)
    if not is_cross_site(request):  # like the read marks: only the person's own visit clears
        mention_clear(reader=request.user, conversation=conversation)
    return render_detail(request, portal, conversation, messages=messages)


def conversation_messages(request, pk, *, portal: TeamPortal):
    conversation = portal.conversation_for(request, pk)
    return thread_poll(request, conversation, urls=lambda: portal.urls(conversation))


def conversation_reply(request, pk, *, portal: TeamPortal):
    conversation = portal.conversation_for(request, pk)

    def render_page(form, status):
        messages = recent_messages(conversation, for_team=True)
        return render_detail(request, portal, conversation, messages=messages, form=form, status=status)

    return thread_send(request, conversation, urls=portal.urls(conversation), render_page=render_page)


def conversation_status(request, pk, *, portal: TeamPortal):
    """POST status=<OPEN|PENDING|RESOLVED|CLOSED>: an admin or the assigned staff member."""
    conversation = portal.conversation_for(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return invalid_change(form)
    return apply_change(request, portal, conversation, conversation_set_status, status=form.cleaned_data["status"])


def conversation_snooze_view(request, pk, *, portal: TeamPortal):
    """POST preset=<hour|tomorrow|monday> or preset=custom&until=<datetime-local>, read in
    the viewer's time zone (their saved one, else the site's): PENDING until then."""
    conversation = portal.conversation_for(request, pk)
    form = SnoozeForm(request.POST, zone=recipient_zone(request.user))
    if not form.is_valid():
        return invalid_change(form)
    return apply_change(request, portal, conversation, conversation_snooze, until=form.cleaned_data["until_at"])


def apply_change(request, portal: TeamPortal, conversation, service, **change):
    """Run one change service and answer with what the page swaps in.

    A conversation that stopped being the viewer's between the read and the row lock
    (reassigned a moment ago) is "not found", like any other that is not theirs; a
    rule the change breaks (an assignee deactivated a moment ago) is a 400 with the reason.
    """
    try:
        service(actor=request.user, conversation=conversation, **change)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.") from None
    except ValidationError as error:
        return invalid_change(" ".join(error.messages))
    return changed_response(request, portal, conversation)


def changed_response(request, portal: TeamPortal, conversation):
    """After an assignment, status or priority change: htmx gets the piece it swaps
    (the console's list row it came from, or the detail page's panel); a plain form
    post is redirected to the conversation.

    The portal decides which fragments exist: only the console has list rows (they
    carry the team list, which the staff portal never shows), so HX-Target chooses
    between the console's own fragments and never widens what a staff member gets.
    """
    if not request.htmx:
        return redirect(portal.urls(conversation)["page"])
    if portal.manages and (request.htmx.target or "").startswith("row-"):
        context = console_row_context(list_rows(request.user, [conversation]))
        return render(request, "console/conversation_list.html#row", {**context, "row": context["rows"][0], "saved": True})
    return render(request, f"{DETAIL_TEMPLATE}#panel", {**panel_context(portal, conversation), "saved": True})
