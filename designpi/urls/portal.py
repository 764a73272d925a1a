"""The customer portal (/portal/): the chat with the support team."""

from django.urls import path

from conversations.views import customer

app_name = "portal"

urlpatterns = [
    path("chat/", customer.chat, name="chat"),
    path("chat/messages/", customer.messages, name="messages"),
    path("chat/send/", customer.send, name="send"),
    path("attention/", customer.attention, name="attention"),
]
