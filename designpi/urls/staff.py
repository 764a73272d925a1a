"""The staff inbox (/staff/): the conversations and tickets assigned to the viewer."""

from django.urls import path

from conversations.views import assignment, staff
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
    path("tickets/", ticket_views.staff_ticket_list, name="ticket_list"),
    path("attention/", staff.attention, name="attention"),
    path("availability/", assignment.availability, name="availability"),
]
