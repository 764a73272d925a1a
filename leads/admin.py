from django.contrib import admin

from .models import Lead


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "company", "phone", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "email", "company"]
    readonly_fields = ["created_at", "updated_at"]
