from django.contrib import admin

from .models import SupportTicket


@admin.register(SupportTicket)
class SupportTicketAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "status", "priority", "assigned_to", "customer", "updated_at"]
    list_filter = ["status", "priority", "assigned_to"]
    search_fields = ["subject", "description", "customer__email"]
    list_select_related = ["assigned_to", "customer"]
    readonly_fields = ["conversation", "customer", "assigned_to", "status", "created_at", "updated_at"]

    def has_add_permission(self, request):
        return False
