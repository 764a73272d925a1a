"""The admin console (/admin/): one namespace, views from each app."""

from django.urls import path

from conversations.views import admin as conversation_admin

app_name = "console"

urlpatterns = [
    path("", conversation_admin.home, name="home"),
]
