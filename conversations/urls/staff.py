from django.urls import path

from conversations.views import staff

app_name = "staff"

urlpatterns = [
    path("", staff.index, name="index"),
    path("conversations/", staff.conversation_list, name="conversation_list"),
]
