"""The staff inbox (/staff/): the conversations and tickets assigned to the viewer."""

from django.urls import path

from conversations.views import assignment, staff
from replies import views as reply_views
from tickets import views as ticket_views

app_name = "staff"

urlpatterns = [
    path("", staff.index, name="index"),
    path("conversations/", staff.conversation_list, name="conversation_list"),
    path("conversations/rows/", staff.conversation_rows, name="conversation_rows"),
    path("conversations/<int:pk>/", staff.conversation_detail, name="conversation_detail"),
    path("conversations/<int:pk>/messages/", staff.conversation_messages, name="conversation_messages"),
    path("conversations/<int:pk>/reply/", staff.conversation_reply, name="conversation_reply"),
    path("conversations/<int:pk>/status/", staff.conversation_status, name="conversation_status"),
    path("conversations/<int:pk>/snooze/", staff.conversation_snooze, name="conversation_snooze"),
    path("tickets/", ticket_views.staff_ticket_list, name="ticket_list"),
    path("attention/", staff.attention, name="attention"),
    # Canned replies (issue 14): the team's page (admins too) and the message box's picker.
    path("replies/", reply_views.reply_list, name="reply_list"),
    path("replies/new/", reply_views.reply_create, name="reply_create"),
    path("replies/<int:pk>/edit/", reply_views.reply_edit, name="reply_edit"),
    path("replies/<int:pk>/delete/", reply_views.reply_delete, name="reply_delete"),
    path("conversations/<int:pk>/replies/", reply_views.conversation_replies, name="conversation_replies"),
    path("availability/", assignment.availability, name="availability"),
]
