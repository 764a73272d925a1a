"""On every database: the pages' WSGI processes answer the stream 503 (the page keeps
polling), the context processor, and LIVE_* settings that stop start-up when bad."""

import pytest

from tests.commands import PRODUCTION_ENV, manage
from tests.personas import client_for


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["anonymous", "john", "sarah", "admin"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_wsgi_answers_503_so_the_page_keeps_polling(world, name, method):
    response = getattr(client_for(world[name]), method)("/live/stream")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content == b"Live updates are served by the live process."


@pytest.mark.django_db
def test_pages_get_the_live_url_and_the_safety_poll(world, settings):
    settings.LIVE_URL = "http://127.0.0.1:8001/live/stream"
    response = client_for(world["john"]).get("/portal/chat/")
    assert response.context["live_url"] == "http://127.0.0.1:8001/live/stream"
    assert response.context["live_safety_poll_seconds"] == 300


def live_settings(env):
    code = ("from django.conf import settings as s; "
            "print(s.LIVE_URL, s.LIVE_ALLOWED_ORIGINS, s.LIVE_TICK_SECONDS, s.LIVE_OVERLAP_SECONDS, "
            "s.LIVE_HEARTBEAT_SECONDS, s.LIVE_SESSION_RECHECK_SECONDS, s.LIVE_SAFETY_POLL_SECONDS, "
            "s.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src'], sep='|')")
    return manage("shell", "--no-imports", "-c", code, env={**PRODUCTION_ENV, **env})


def test_defaults_follow_the_contract():
    result = live_settings({})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "/live/stream|()|0.3|10.0|15.0|60.0|300|[\"'self'\"]"


def test_an_absolute_live_url_adds_its_origin_to_connect_src():
    result = live_settings({"LIVE_URL": "http://127.0.0.1:8001/live/stream",
                            "LIVE_ALLOWED_ORIGINS": "http://127.0.0.1:8000,http://localhost:8000"})
    assert result.returncode == 0, result.stderr
    fields = result.stdout.strip().splitlines()[-1].split("|")
    assert fields[1] == "('http://127.0.0.1:8000', 'http://localhost:8000')"
    assert fields[-1] == "[\"'self'\", 'http://127.0.0.1:8001']"


@pytest.mark.parametrize("name, value", [
    ("LIVE_TICK_SECONDS", "0"), ("LIVE_TICK_SECONDS", "fast"), ("LIVE_TICK_SECONDS", "nan"),
    ("LIVE_OVERLAP_SECONDS", "0.1"), ("LIVE_OVERLAP_SECONDS", "-1"),
    ("LIVE_HEARTBEAT_SECONDS", "0"), ("LIVE_SESSION_RECHECK_SECONDS", "61"),
    ("LIVE_SAFETY_POLL_SECONDS", "2"), ("LIVE_SAFETY_POLL_SECONDS", "1.5"),
    ("LIVE_URL", "javascript:alert(1)"), ("LIVE_URL", "//evil.example/live"),
    ("LIVE_ALLOWED_ORIGINS", "http://127.0.0.1:8000/"), ("LIVE_ALLOWED_ORIGINS", "*"),
])
def test_bad_values_stop_start_up_naming_the_setting(name, value):
    result = manage("check", env={**PRODUCTION_ENV, name: value})
    assert result.returncode != 0
    assert name in result.stderr
