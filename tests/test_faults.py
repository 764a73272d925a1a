"""Faults get clean answers (SECURITY_CASES 31; issue 5 §5).

* The database stops: pages, polls and the API answer 503 with Retry-After within
  seconds, a plain page or JSON without internals, and recover by themselves.
  On MariaDB this runs for real: gunicorn in a subprocess talks to the database
  through a TCP proxy that the test switches off and on. On every database an
  in-process variant makes the driver fail through Django's execute_wrapper hook.
* Error pages (400/403/404/500/503) are the product's own, with DEBUG off.
* Refused requests are logged, one line each, with who, what and which id.
"""

import logging
import time

import pytest
from django.db import OperationalError, connection
from django.test import Client

from conversations.models import Message
from tests.commands import manage
from tests.urls_failing import SECRET
from tests.personas import PASSWORD, client_for

INTERNALS = ("Traceback", "OperationalError", "InterfaceError", "django.db", "File \"", SECRET, "SELECT")


# These tests start gunicorn, which must reach the test database over the network.
NEEDS_SERVER_DATABASE = (
    "needs MariaDB/MySQL: gunicorn runs in a subprocess that must reach the test database "
    "over the network, and SQLite's test database lives in this process's memory. CI runs it on MariaDB."
)


def assert_no_internals(body: bytes):
    text = body.decode()
    for word in INTERNALS:
        assert word not in text, word


# --- the database stops (in-process) --------------------------------------------

class DatabaseDown:
    """Every query on this thread's connection fails as a stopped server makes it fail."""

    def __call__(self, execute, sql, params, many, context):
        raise OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1' (111)")


def outage_requests(world):
    pk = world["johns"].pk
    return [
        ("customer chat page", "john", "GET", "/portal/chat/", {}, False),
        ("customer poll", "john", "GET", "/portal/chat/messages/", {"after": 0}, True),
        ("customer send", "john", "POST", "/portal/chat/send/", {"body": "lost?", "client_token": "6f1c2a8e-3d4b-4c5d-8e9f-0a1b2c3d4e5f"}, True),
        ("staff thread", "sarah", "GET", f"/staff/conversations/{pk}/", {}, False),
        ("staff poll", "sarah", "GET", f"/staff/conversations/{pk}/messages/", {"after": 0}, True),
        ("admin list", "admin", "GET", "/admin/conversations/", {}, False),
        ("api list", "admin", "GET", "/api/admin/conversations", {}, False),
        ("api messages", "john", "GET", f"/api/conversations/{pk}/messages", {}, False),
    ]


def test_a_database_outage_answers_503_with_retry_after_and_recovers(world):
    clients = {name: client_for(world[name]) for name in ("john", "sarah", "admin")}
    for client in clients.values():
        client.raise_request_exception = False  # the test client would re-raise what handler500 answered
    messages_before = Message.objects.count()
    with connection.execute_wrapper(DatabaseDown()):
        for label, who, method, path, data, htmx in outage_requests(world):
            extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            response = getattr(clients[who], method.lower())(path, data, **extra)
            assert response.status_code == 503, label
            assert int(response["Retry-After"]) > 0, label
            assert_no_internals(response.content)
            if path.startswith("/api/"):
                assert response.json() == {"detail": "Service temporarily unavailable. Please retry."}
            else:
                assert "Temporarily unavailable" in response.content.decode(), label
        health = Client().get("/healthz")
        assert health.status_code == 503 and health["Retry-After"]
        assert health.json() == {"status": "unavailable", "database": "down"}
    # The database is back: the same clients work again, nothing was half-written.
    assert Message.objects.count() == messages_before
    assert Client().get("/healthz").json() == {"status": "ok", "database": "ok"}
    for label, who, method, path, data, htmx in outage_requests(world):
        if method == "GET":
            response = clients[who].get(path, data)
            assert response.status_code == 200, label


def test_the_outage_is_logged_on_one_line_without_the_request_body(world, caplog):
    client = client_for(world["john"])
    client.raise_request_exception = False
    with connection.execute_wrapper(DatabaseDown()), caplog.at_level(logging.WARNING):
        assert client.get("/portal/chat/").status_code == 503
    lines = [r.getMessage() for r in caplog.records if r.name == "designpi.views"]
    assert lines == ["database unavailable path=/portal/chat/ error=OperationalError"]


# --- the database stops (for real, MariaDB) ---------------------------------------

@pytest.mark.mariadb(reason=NEEDS_SERVER_DATABASE)
@pytest.mark.django_db(transaction=True)
def test_stopping_the_database_gives_503_within_seconds_and_it_recovers_by_itself(world):
    from tests.serving import TcpProxy, database_url, gunicorn, request

    settings = connection.settings_dict
    proxy = TcpProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 3306))
    proxy.up()
    pk = world["johns"].pk
    sessions = {name: {"sessionid": client_for(world[name]).cookies["sessionid"].value}
                for name in ("john", "sarah", "admin")}
    checks = [
        ("john", "/portal/chat/", {}),
        ("john", "/portal/chat/messages/?after=0", {"HX-Request": "true"}),
        ("sarah", f"/staff/conversations/{pk}/messages/?after=0", {"HX-Request": "true"}),
        ("admin", "/api/admin/conversations", {}),
        ("john", f"/api/conversations/{pk}/messages", {}),
        (None, "/healthz", {}),
    ]

    def answers():
        return [request(app, "GET", path, session=sessions.get(who), headers=headers, timeout=15)
                for who, path, headers in checks]

    try:
        with gunicorn(database_url=database_url(port=proxy.port), env={"DATABASE_CONNECT_TIMEOUT": "2"}) as app:
            assert [status for status, *_ in answers()] == [200] * len(checks)

            for outage in (proxy.down, proxy.silent):  # a stopped server, then a vanished host
                outage()
                for (who, path, _), (status, headers, body, seconds) in zip(checks, answers()):
                    assert status == 503, (outage.__name__, path, status, body[:300])
                    assert int(headers["retry-after"]) > 0
                    assert seconds < 6, (outage.__name__, path, seconds)
                    assert_no_internals(body)
                proxy.up()
                deadline = time.monotonic() + 10
                while [status for status, *_ in answers()] != [200] * len(checks):
                    assert time.monotonic() < deadline, f"no recovery after {outage.__name__}"
                    time.sleep(0.2)
    finally:
        proxy.down()


@pytest.mark.mariadb(reason=NEEDS_SERVER_DATABASE)
@pytest.mark.django_db(transaction=True)
def test_the_lockout_holds_across_several_gunicorn_workers(john):
    """SECURITY_CASES 20: the failure count lives in the database, so it does not
    matter which worker (process) answers which attempt."""
    from django.conf import settings

    from tests.serving import csrf_from, database_url, gunicorn, request

    def attempt(app, password):
        status, headers, page, _ = request(app, "GET", "/accounts/login/")
        cookie = headers["set-cookie"].split("csrftoken=")[1].split(";")[0]
        body = f"username={john.email}&password={password}&csrfmiddlewaretoken={csrf_from(page)}"
        return request(app, "POST", "/accounts/login/", session={"csrftoken": cookie}, body=body,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})

    with gunicorn(database_url=database_url(), workers=3, threads=1) as app:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            status, headers, body, _ = attempt(app, "wrong-password")
            assert status in (200, 429)
        status, headers, body, _ = attempt(app, PASSWORD)
        assert status == 429, body[:500]
        assert b"Sign-in paused" in body


# --- error pages --------------------------------------------------------------------

@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = "tests.urls_failing"


def test_an_unexpected_error_is_a_plain_500_page_without_internals(failing_urls, john):
    client = client_for(john)
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "DesignPi Support" in response.content.decode()
    assert_no_internals(response.content)


def test_an_unexpected_api_error_is_json_500_without_internals(failing_urls, john):
    client = client_for(john)
    client.raise_request_exception = False
    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert_no_internals(response.content)


def test_an_unexpected_error_is_logged_on_one_line(failing_urls, john):
    # Through the configured formatter, in a fresh process: what stdout really gets.
    code = (
        "import logging; log = logging.getLogger('django.request')\n"
        "try:\n    raise RuntimeError('first\\nsecond')\nexcept RuntimeError:\n    log.exception('Internal Server Error: /boom/')"
    )
    result = manage("shell", "--no-imports", "-c", code, env={"DEBUG": "true"})
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, result.stdout
    assert "Traceback" in lines[0] and "RuntimeError: first | second" in lines[0]


@pytest.mark.parametrize("path, status, words", [
    ("/no/such/page/", 404, "Not found"),
    ("/staff/conversations/abc/", 404, "Not found"),
    ("/staff/conversations/99999999999999999999/", 404, "Not found"),
])
def test_error_pages_are_the_products_own(sarah, path, status, words):
    response = client_for(sarah).get(path)
    assert response.status_code == status
    body = response.content.decode()
    assert words in body and "DesignPi Support" in body and "css/app.css" in body
    assert_no_internals(response.content)
    assert "Page not found at" not in body  # Django's technical (DEBUG) 404 page


def test_a_wrong_host_is_our_400_page():
    response = Client(HTTP_HOST="attacker.example").get("/accounts/login/")
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    assert "attacker.example" not in response.content.decode()


def test_the_403_page_is_ours(john):
    response = client_for(john).get("/staff/conversations/")
    assert response.status_code == 403 and "Not allowed" in response.content.decode()


def test_healthz_checks_the_database(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    with connection.execute_wrapper(DatabaseDown()):
        assert Client().get("/healthz").status_code == 503


# --- refused requests are logged ------------------------------------------------------

def refusal_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "designpi.access"]


@pytest.mark.parametrize("who, method, path, status", [
    ("john", "GET", "/staff/conversations/", 403),  # wrong role
    ("mike", "GET", "/staff/conversations/{pk}/", 404),  # not his
    ("mike", "POST", "/staff/conversations/{pk}/reply/", 404),
    ("jane", "GET", "/api/conversations/{pk}/messages", 404),
    ("sarah", "PATCH", "/api/admin/conversations", 403),
    (None, "GET", "/api/admin/conversations", 401),
])
def test_refused_requests_are_logged_with_who_what_and_which_id(world, caplog, who, method, path, status):
    path = path.format(pk=world["johns"].pk)
    client = client_for(world[who] if who else None)
    with caplog.at_level(logging.WARNING, logger="designpi.access"):
        response = getattr(client, method.lower())(path, {"body": "x"} if method == "POST" else None,
                                                   **({"content_type": "application/json"} if method == "PATCH" else {}))
    assert response.status_code == status
    user = str(world[who].pk) if who else "anonymous"
    assert refusal_lines(caplog) == [
        f"access refused status={status} user={user} ip=127.0.0.1 method={method} path={path}"
    ]


def test_a_path_cannot_forge_a_second_log_line(caplog, john):
    with caplog.at_level(logging.WARNING, logger="designpi.access"):
        client_for(john).get("/nothing%0aWARNING fake line/")
    (line,) = refusal_lines(caplog)
    assert "\n" not in line and "%0A" in line


def test_a_locked_out_sign_in_is_logged(john, caplog):
    from django.conf import settings

    with caplog.at_level(logging.WARNING, logger="designpi.access"):
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            response = Client().post("/accounts/login/", {"username": john.email, "password": "wrong"})
    assert response.status_code == 429
    assert refusal_lines(caplog)[-1] == "access refused status=429 user=anonymous ip=127.0.0.1 method=POST path=/accounts/login/"


def test_allowed_requests_log_no_refusal(world, caplog):
    with caplog.at_level(logging.INFO, logger="designpi.access"):
        assert client_for(world["sarah"]).get(f"/staff/conversations/{world['johns'].pk}/").status_code == 200
    assert refusal_lines(caplog) == []



@pytest.mark.mariadb(reason=NEEDS_SERVER_DATABASE)
def test_the_database_check_is_clean_on_mariadb(db):
    """SECURITY_CASES 33, second half: strict mode, utf8mb4, no backend warnings."""
    from tests.serving import database_url

    result = manage("check", "--database", "default", "--fail-level", "WARNING",
                    env={"DEBUG": "true", "DATABASE_URL": database_url()})
    assert result.returncode == 0, result.stdout + result.stderr
