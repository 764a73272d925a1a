from django import forms

from conversations.models import MESSAGE_MAX_LENGTH

from .models import TITLE_MAX_LENGTH


class CannedReplyForm(forms.Form):
    """Title and body; the model (through the service) has the last word on both."""

    title = forms.CharField(label="Title", max_length=TITLE_MAX_LENGTH,
                            error_messages={"required": "Give the reply a title."})
    body = forms.CharField(
        label="Text", max_length=MESSAGE_MAX_LENGTH, strip=False,
        error_messages={"required": "Write the reply's text."},
        widget=forms.Textarea(attrs={"rows": 5, "aria-describedby": "reply-placeholders"}),
    )
    shared = forms.BooleanField(label="Shared with the whole team", required=False)

    def __init__(self, *args, can_share: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_share:
            del self.fields["shared"]
