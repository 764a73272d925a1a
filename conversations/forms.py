"""Forms for the conversation pages: every GET filter, poll cursor and POST goes
through one of these (house style 8: allow-listed, never request keys to the ORM)."""

import uuid
from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import CAPACITY_MAX, User

from designpi.http import MAX_INT, PageForm
from designpi.validators import parse_id

from .models import AssignmentMode, Source, Status
from .search import MAX_QUERY_LENGTH, parse_search
from .services import BULK_LIMIT, KEEP, message_clean_body

UNASSIGNED = "unassigned"


class PollForm(forms.Form):
    """The thread's cursor, exactly one of: ?after=<seq>, the newest message the page
    already shows (the poll: what came since), or ?before=<seq>, the oldest one it
    shows (the page of earlier messages above it)."""

    after = forms.IntegerField(min_value=0, max_value=MAX_INT, required=False)
    before = forms.IntegerField(min_value=1, max_value=MAX_INT, required=False)

    def clean(self):
        data = super().clean()
        given = [name for name in ("after", "before") if data.get(name) is not None]
        if not given and not self.errors:
            raise ValidationError("Give the cursor: after=<seq> or before=<seq>.", code="required")
        if len(given) == 2:
            raise ValidationError("Give after=<seq> or before=<seq>, not both.", code="invalid")
        return data


class MessageForm(forms.Form):
    """The message box. ``client_token`` is a fresh uuid4 per rendered form, so a
    double-click or a retried request posts one message (SECURITY_CASES 25)."""

    body = forms.CharField(
        label="Message",
        strip=False,  # the service trims and validates: one definition of a good body
        error_messages={"required": "Write a message before sending."},
        widget=forms.Textarea(attrs={
            "rows": 2, "autocomplete": "off", "placeholder": "Write a message…",
            "aria-describedby": "composer-hint composer-error", "data-enter-sends": "",
        }),
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput)
    # The team's "Internal note" switch (shown to the team only; the service refuses a
    # note from anyone else).
    internal = forms.BooleanField(
        label="Internal note", required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch", "aria-describedby": "composer-note-hint"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_token", uuid.uuid4())

    def clean_body(self):
        return message_clean_body(self.cleaned_data["body"])


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=Status.choices)

    @classmethod
    def for_conversation(cls, conversation, *, id: str):
        """The control showing ``conversation``'s status (``id`` names it for its label)."""
        form = cls(initial={"status": conversation.status})
        form.fields["status"].widget.attrs.update(
            {"id": id, "class": f"status-select status-{conversation.status.lower()}"}
        )
        return form


class AssignForm(forms.Form):
    """Empty means "unassign"; otherwise an active team member."""

    assigned_to = forms.ModelChoiceField(
        label="Assign to", queryset=User.objects.team(), required=False, empty_label="Unassigned"
    )

    @classmethod
    def for_team(cls, team, *, initial=None):
        """The control with its options from ``team``, loaded once for the page, so a
        list of rows costs no query per row; what is posted back is still validated
        against the live team queryset."""
        form = cls(initial=initial)
        field = form.fields["assigned_to"]
        field.choices = [("", field.empty_label), *[(member.pk, member.display_name) for member in team]]
        return form

    @classmethod
    def for_conversation(cls, conversation, *, team, id: str):
        """The control showing ``conversation``'s assignee (``id`` names it for its label)."""
        form = cls.for_team(team, initial={"assigned_to": conversation.assigned_to_id})
        form.fields["assigned_to"].widget.attrs["id"] = id
        return form


class InboxFilterForm(PageForm):
    """The staff inbox: ?q=&status=&mentioned=&page=

    ``q`` is cleaned into a conversations.search.SearchQuery (None when empty): plain
    words, whatever was typed; only an over-long text is refused.
    """

    q = forms.CharField(
        label="Search", required=False, max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words, a name, an email…", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(label="Status", choices=[("", "All statuses"), *Status.choices], required=False)
    # Issue 14: only the conversations where a teammate @mentioned the viewer (not yet opened).
    mentioned = forms.ChoiceField(label="Mentions", choices=[("", "Any"), ("me", "Mentioning me")], required=False)

    field_order = ["q", "status", "mentioned", "page"]

    def clean_q(self):
        text = self.cleaned_data["q"]
        return parse_search(text) if text else None


class ConsoleFilterForm(InboxFilterForm):
    """The admin list: ?q=&status=&source=&assigned_to=<id|unassigned>&page=

    The assignee choices come from the team list the page loads anyway (one query
    for the filter and every row's "Assign to" control).
    """

    source = forms.ChoiceField(label="Source", choices=[("", "All sources"), *Source.choices], required=False)
    assigned_to = forms.ChoiceField(label="Assignee", required=False)

    field_order = ["q", "status", "source", "assigned_to", "mentioned", "page"]

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = list(team)
        self.fields["assigned_to"].choices = [
            ("", "Anyone"),
            (UNASSIGNED, "Unassigned"),
            *[(str(member.pk), member.display_name) for member in self.team],
        ]

    def clean_assigned_to(self):
        value = self.cleaned_data["assigned_to"]
        if value in ("", UNASSIGNED):
            return value
        member = next((m for m in self.team if str(m.pk) == value), None)
        if member is None:  # ChoiceField already refused it; belt and braces
            raise ValidationError("Unknown assignee.", code="invalid_choice")
        return member


class ListPollForm(forms.Form):
    """The list poll's ?stamp=: what the page last showed (see views.lists.list_stamp)."""

    stamp = forms.RegexField(regex=r"^[0-9.\-]{1,64}$", required=False)


class IdListField(forms.Field):
    """Repeated ``ids=<conversation id>`` values: a list of ids, each a valid database id."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value or []
        if len(values) > BULK_LIMIT:
            raise ValidationError(f"At most {BULK_LIMIT:,} conversations at once.", code="too_many")
        ids = [parse_id(item) for item in values]
        if None in ids:
            raise ValidationError("Not a conversation id.", code="invalid")
        return list(dict.fromkeys(ids))


class BulkForm(forms.Form):
    """The admin list's bulk bar: ticked rows (``ids``) or everything ``matching`` the
    list's filters (posted beside it as a ConsoleFilterForm with prefix "filter"), with
    the count the admin was shown; an assignee and/or a status to apply. ``as_of`` is
    when the admin's page was rendered: a conversation changed after it is left alone
    and reported (conversations.services.conversation_bulk_apply)."""

    ids = IdListField(required=False)
    matching = forms.BooleanField(required=False)
    expected_count = forms.IntegerField(min_value=0, max_value=MAX_INT, required=False, widget=forms.HiddenInput)
    assignee = forms.ChoiceField(label="Assign selected to", required=False)
    status = forms.ChoiceField(label="Set status", choices=[("", "Keep the status"), *Status.choices], required=False)
    as_of = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = list(team)
        self.fields["assignee"].choices = [
            ("", "Keep the assignee"),
            (UNASSIGNED, "Unassigned"),
            *[(str(member.pk), member.display_name) for member in self.team],
        ]

    def clean_assignee(self):
        """KEEP, None (unassign) or the team member."""
        value = self.cleaned_data["assignee"]
        if value == "":
            return KEEP
        if value == UNASSIGNED:
            return None
        return next(m for m in self.team if str(m.pk) == value)  # ChoiceField allowed only these

    def clean(self):
        data = super().clean()
        if data.get("assignee") is KEEP and not data.get("status"):
            raise ValidationError("Choose an assignee or a status to apply.", code="no_change")
        if data.get("matching"):
            if data.get("expected_count") is None:
                raise ValidationError("Say how many matching conversations you mean (expected_count).")
        elif not data.get("ids"):
            raise ValidationError("Select at least one conversation.", code="empty")
        return data

    def describe(self) -> str:
        """What will be done, for the confirmation: "assign to Sarah Johnson and set the status to Closed"."""
        data = self.cleaned_data
        parts = []
        if data["assignee"] is None:
            parts.append("unassign")
        elif data["assignee"] is not KEEP:
            parts.append(f"assign to {data['assignee'].display_name}")
        if data["status"]:
            parts.append(f"set the status to {Status(data['status']).label}")
        return " and ".join(parts)


SNOOZE_CHOICES = [
    ("hour", "1 hour"),
    ("tomorrow", "Tomorrow 9:00"),
    ("monday", "Next Monday 9:00"),
    ("custom", "Chosen time"),
]
DATETIME_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def snooze_preset_times(now: datetime, zone) -> dict[str, datetime]:
    """When each preset ends, computed in the viewer's time zone ``zone``: "tomorrow 9:00"
    is 9:00 on the viewer's clock, whatever the server's zone."""
    local = now.astimezone(zone)
    nine = time(9)
    return {
        "hour": now + timedelta(hours=1),
        "tomorrow": datetime.combine(local.date() + timedelta(days=1), nine, tzinfo=zone),
        # Monday is weekday 0: from a Monday this is the Monday a week on.
        "monday": datetime.combine(local.date() + timedelta(days=7 - local.weekday()), nine, tzinfo=zone),
    }


class SnoozeForm(forms.Form):
    """POST preset=<hour|tomorrow|monday|custom>, and until=<YYYY-MM-DDTHH:MM> (a
    datetime-local value, read in the viewer's time zone) for "custom". cleaned_data
    then has ``until_at``, an aware datetime; whether it is in the future and not too far
    is the service's rule (conversation_snooze)."""

    preset = forms.ChoiceField(label="Snooze until", choices=SNOOZE_CHOICES)
    until = forms.CharField(label="Chosen time", required=False, max_length=19)

    def __init__(self, *args, zone, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.now = now or timezone.now()

    def clean(self):
        data = super().clean()
        preset = data.get("preset")
        if preset is None:
            return data
        if preset != "custom":
            data["until_at"] = snooze_preset_times(self.now, self.zone)[preset]
            return data
        text = (data.get("until") or "").strip()
        for fmt in DATETIME_LOCAL_FORMATS:
            try:
                data["until_at"] = datetime.strptime(text, fmt).replace(tzinfo=self.zone)
                return data
            except ValueError:
                continue
        raise ValidationError({"until": "Choose a date and time to snooze until."})


# --- Automatic assignment (issue 14) -----------------------------------------------


class AssignmentModeForm(forms.Form):
    mode = forms.ChoiceField(label="Automatic assignment", choices=AssignmentMode.choices)


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label="Capacity", min_value=1, max_value=CAPACITY_MAX)


class AvailabilityForm(forms.Form):
    """The header switch posts the state it turns to: "on" or "off" (nothing else)."""

    available = forms.ChoiceField(choices=[("on", "Available"), ("off", "Away")])
    next = forms.CharField(required=False, max_length=2000)
