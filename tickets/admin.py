from django.contrib import admin

from designpi.admin_readonly import ReadOnlyModelAdmin

from .models import SupportTicket


@admin.register(SupportTicket)
class SupportTicketAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "subject", "status", "priority", "assigned_to", "customer", "updated_at"]
    list_filter = ["status", "priority", "assigned_to"]
    search_fields = ["subject", "description", "customer__email"]
    list_select_related = ["assigned_to", "customer"]
