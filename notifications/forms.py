import zoneinfo
from functools import cache

from django import forms
from django.conf import settings


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone or zone == "UTC")
    return [("", f"The team's default ({settings.TIME_ZONE})"), *((zone, zone.replace("_", " ")) for zone in zones)]


class EmailPreferencesForm(forms.Form):
    """Which emails a person gets. `notify_assigned` and `notify_mentions` only for the team
    (dropped for customers)."""

    notify_assigned = forms.BooleanField(
        required=False, label="A conversation is assigned to me",
    )
    notify_messages = forms.BooleanField(required=False, label="Unread messages")
    notify_mentions = forms.BooleanField(
        required=False, label="A teammate mentions me in a note",
        help_text="When someone writes @ and your handle in an internal note of a conversation you can see.",
    )
    time_zone = forms.ChoiceField(
        required=False, label="Time zone for the times in emails", choices=time_zone_choices,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_team:
            self.fields["notify_messages"].help_text = (
                "When a participant of a conversation assigned to you writes and nobody has read it after "
                "a short delay (admins: also unassigned conversations). One email, then none until it is read."
            )
        else:
            del self.fields["notify_assigned"]
            del self.fields["notify_mentions"]
            self.fields["notify_messages"].label = "Replies from the support team"
            self.fields["notify_messages"].help_text = (
                "When the team replies and you have not read it after a short delay. One email, then none "
                "until you have read it."
            )
