from django.contrib import admin

from designpi.admin_readonly import ReadOnlyModelAdmin, ReadOnlyTabularInline

from .models import Conversation, Message


class MessageInline(ReadOnlyTabularInline):
    model = Message
    fields = ["seq", "public_seq", "internal", "sender", "from_participant", "body", "created_at", "read_at"]
    ordering = ["seq"]


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "participant_name", "source", "status", "assigned_to", "last_seq", "updated_at"]
    list_filter = ["status", "source", "assigned_to"]
    search_fields = ["customer__email", "customer__name", "lead__email", "lead__name"]
    list_select_related = ["customer", "lead", "assigned_to"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(ReadOnlyModelAdmin):
    list_display = ["id", "conversation", "seq", "internal", "sender", "from_participant", "created_at", "read_at"]
    list_filter = ["from_participant", "internal"]
    search_fields = ["body"]
    list_select_related = ["conversation", "sender"]
