"""The live stream (issue 10). Served for real only by the live process (live/asgi.py);
the pages' WSGI processes answer it 503 so pages keep polling."""

from django.urls import path

from live import views

app_name = "live"

urlpatterns = [
    path("stream", views.stream, name="stream"),
]
