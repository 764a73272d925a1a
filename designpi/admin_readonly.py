"""Read-only registrations for Django's data admin (/django-admin/).

Conversations, messages and tickets change only through their services, which keep
`last_seq`, the ticket and the conversation in step under a lock. An admin form
would save the row as it was loaded (a stale `last_seq` breaks every later post) and
a delete would leave a hole in `seq`. So the data admin may look, never write; the
console (/admin/) is where admins change these.
"""

from django.contrib import admin


class ReadOnlyPermissions:
    """View yes; add, change, delete no. Django then renders every page read-only,
    refuses the POSTs with 403 and offers no delete action."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyModelAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    pass


class ReadOnlyTabularInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0
