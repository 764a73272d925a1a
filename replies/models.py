from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q

from conversations.models import MESSAGE_MAX_LENGTH
from designpi.validators import reject_control_characters

TITLE_MAX_LENGTH = 120


class CannedReply(models.Model):
    """A saved answer the team inserts into the message box (issue 14).

    ``owner`` NULL: shared, kept by the admins, seen by the whole team; otherwise the
    team member's own. The body is stored as written: placeholders in it are filled by
    replies.placeholders.fill (plain substitution), never rendered as a template.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_replies"
    )
    title = models.CharField(max_length=TITLE_MAX_LENGTH, validators=[reject_control_characters])
    body = models.TextField(validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH), reject_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "canned replies"
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="cannedreply_title_not_empty"),
            models.CheckConstraint(condition=~Q(body=""), name="cannedreply_body_not_empty"),
            # A person's titles are unique. Shared ones (owner NULL) are checked in clean():
            # NULLs never clash in a unique index, and MariaDB ignores conditional ones (W036).
            models.UniqueConstraint(fields=["owner", "title"], name="cannedreply_title_unique_per_owner"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.owner_id is None

    def clean(self):
        super().clean()
        if self.owner_id is None and self.title:
            clash = CannedReply.objects.filter(owner__isnull=True, title=self.title).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError({"title": "A shared reply with this title already exists."})
