"""The admin console (/admin/): one namespace, the views of every app it shows."""

from django.urls import path

from accounts import views as account_views
from conversations.views import admin as conversation_admin
from conversations.views import assignment
from conversations.views import bulk as conversation_bulk
from leads import views as lead_views
from tickets import views as ticket_views

app_name = "console"

urlpatterns = [
    path("", conversation_admin.home, name="home"),
    path("conversations/", conversation_admin.conversation_list, name="conversation_list"),
    path("conversations/rows/", conversation_admin.conversation_rows, name="conversation_rows"),
    path("conversations/bulk/confirm/", conversation_bulk.conversation_bulk_confirm, name="conversation_bulk_confirm"),
    path("conversations/bulk/", conversation_bulk.conversation_bulk, name="conversation_bulk"),
    path("conversations/<int:pk>/", conversation_admin.conversation_detail, name="conversation_detail"),
    path("conversations/<int:pk>/messages/", conversation_admin.conversation_messages, name="conversation_messages"),
    path("conversations/<int:pk>/reply/", conversation_admin.conversation_reply, name="conversation_reply"),
    path("conversations/<int:pk>/assign/", conversation_admin.conversation_assign, name="conversation_assign"),
    path("conversations/<int:pk>/status/", conversation_admin.conversation_status, name="conversation_status"),
    path("conversations/<int:pk>/snooze/", conversation_admin.conversation_snooze, name="conversation_snooze"),
    path("conversations/<int:pk>/priority/", conversation_admin.conversation_priority, name="conversation_priority"),
    # A lead conversation's panel (issue 12): the lead's status, and "Make customer".
    path("conversations/<int:pk>/lead-status/", lead_views.conversation_lead_status, name="conversation_lead_status"),
    path("conversations/<int:pk>/make-customer/", lead_views.conversation_make_customer,
         name="conversation_make_customer"),
    path("tickets/", ticket_views.console_ticket_list, name="ticket_list"),
    path("leads/", lead_views.lead_list, name="lead_list"),
    path("leads/<int:pk>/status/", lead_views.lead_status, name="lead_status"),
    path("leads/<int:pk>/conversation/", lead_views.lead_conversation, name="lead_conversation"),
    path("people/", account_views.people_list, name="people_list"),
    path("people/<int:pk>/capacity/", assignment.assignment_capacity, name="assignment_capacity"),
    path("assignment/", assignment.assignment_page, name="assignment"),
    path("assignment/mode/", assignment.assignment_mode, name="assignment_mode"),
    path("people/invite/", account_views.people_invite, name="people_invite"),
    path("people/<int:pk>/deactivate/", account_views.people_deactivate, name="people_deactivate"),
    path("people/<int:pk>/reactivate/", account_views.people_reactivate, name="people_reactivate"),
    path("people/<int:pk>/invitation/", account_views.people_invitation_resend, name="people_invitation_resend"),
]
