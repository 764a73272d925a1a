from django.urls import path

from conversations.views import customer

app_name = "portal"

urlpatterns = [
    path("chat/", customer.chat, name="chat"),
]
