from django.contrib import admin

from designpi.admin_readonly import ReadOnlyModelAdmin

from .models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(ReadOnlyModelAdmin):
    list_display = ["title", "owner", "updated_at"]
    search_fields = ["title", "body"]
    readonly_fields = ["created_at", "updated_at"]
