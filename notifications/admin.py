from django.contrib import admin

from designpi.admin_readonly import ReadOnlyModelAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyModelAdmin):
    """Which emails were sent, skipped (and why) or failed: for the operator, read-only
    (rows change only through notifications.services)."""

    list_display = ["id", "kind", "recipient", "conversation_id", "first_seq", "last_seq", "state", "attempts",
                    "created_at", "sent_at", "reason"]
    list_filter = ["state", "kind"]
    search_fields = ["recipient__email", "reason"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "conversation"]
