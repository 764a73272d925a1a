"""The public contact chat (/contact/, issue 12): website visitors, no account. What a
visitor's cookie opens is decided by Conversation.objects.for_visitor."""

from django.urls import path

from conversations.views import visitor

app_name = "contact"

urlpatterns = [
    path("", visitor.page, name="page"),
    path("widget/", visitor.widget, name="widget"),
    path("start/", visitor.start, name="start"),
    path("messages/", visitor.messages, name="messages"),
    path("send/", visitor.send, name="send"),
    path("continue/", visitor.continue_request, name="continue_request"),
    path("continue/<str:token>/", visitor.continue_link, name="continue"),
]
