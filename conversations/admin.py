from django.contrib import admin

from .models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["seq", "sender", "from_participant", "body", "created_at", "read_at"]
    readonly_fields = fields
    can_delete = False
    ordering = ["seq"]

    def has_add_permission(self, request, obj=None):
        # Messages are written through conversation_post_message only.
        return False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["id", "participant_name", "source", "status", "assigned_to", "last_seq", "updated_at"]
    list_filter = ["status", "source", "assigned_to"]
    search_fields = ["customer__email", "customer__name", "lead__email", "lead__name"]
    list_select_related = ["customer", "lead", "assigned_to"]
    # State changes go through the services (tickets must follow): read-only here.
    readonly_fields = ["customer", "lead", "source", "status", "assigned_to", "last_seq", "created_at", "updated_at", "last_message_at"]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "conversation", "seq", "sender", "from_participant", "created_at", "read_at"]
    list_filter = ["from_participant"]
    search_fields = ["body"]
    list_select_related = ["conversation", "sender"]
    readonly_fields = ["conversation", "sender", "from_participant", "body", "seq", "created_at", "read_at", "client_token"]

    def has_add_permission(self, request):
        return False
