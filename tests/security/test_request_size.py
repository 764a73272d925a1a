"""Request bodies are capped before they are read (issue 9 A8, SECURITY_CASES 28).

MAX_REQUEST_BYTES bounds the whole body, file parts included: Django's
DATA_UPLOAD_MAX_MEMORY_SIZE leaves those out and streams them to a temporary file,
and CsrfViewMiddleware parses the body for anyone who presents a csrftoken cookie.
The in-process tests watch the request stream and Django's own upload-handler hook;
the gunicorn tests send what a real client would, including a chunked body.
"""

import json
import socket
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.test.client import BOUNDARY, encode_multipart

from conversations.models import Message
from tests.personas import client_for
from tests.serving import gunicorn

TOKEN = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f"
# Any well-formed value: CsrfViewMiddleware parses the body once a cookie is present.
ATTACKER_CSRF_COOKIE = "a" * 32
# Our own copy: the test client re-encodes a body whose type `is` its MULTIPART_CONTENT.
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"

received_upload_bytes: list[int] = []


class RecordingUploadHandler(TemporaryFileUploadHandler):
    """Django's own disk upload handler, noting every chunk it writes to a temporary file."""

    def receive_data_chunk(self, raw_data, start):
        received_upload_bytes.append(len(raw_data))
        return super().receive_data_chunk(raw_data, start)


@pytest.fixture
def watched_uploads(settings, tmp_path):
    received_upload_bytes.clear()
    settings.FILE_UPLOAD_HANDLERS = [f"{__name__}.RecordingUploadHandler"]
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


def multipart(fields: dict, total: int) -> bytes:
    """A multipart body of exactly ``total`` bytes: the fields plus a file padded to fit."""
    empty = encode_multipart(BOUNDARY, {**fields, "attachment": SimpleUploadedFile("a.bin", b"")})
    padding = total - len(empty)
    assert padding >= 0
    body = encode_multipart(BOUNDARY, {**fields, "attachment": SimpleUploadedFile("a.bin", b"x" * padding)})
    assert len(body) == total
    return body


def assert_page_headers(response):
    """The refusal is a page like any other: the same protective headers."""
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}


def test_an_anonymous_upload_over_the_cap_is_refused_before_it_is_read(db, settings, watched_uploads):
    """413 from the headers alone: before CSRF (which would parse the body and answer
    403), with nothing read from the stream and nothing written to a temporary file."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = ATTACKER_CSRF_COOKIE
    body = multipart({"username": "someone@example.test", "password": "x"}, settings.MAX_REQUEST_BYTES + 512 * 1024)

    response = client.post("/accounts/login/", body, content_type=MULTIPART)

    assert response.status_code == 413
    assert not response.wsgi_request.environ["wsgi.input"].read_started
    assert received_upload_bytes == []
    assert list(watched_uploads.iterdir()) == []
    page = response.content.decode()
    assert "Request too large" in page and f"{settings.MAX_REQUEST_BYTES:,} bytes" in page
    assert_page_headers(response)


def test_the_api_gets_the_refusal_as_json(db, settings):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = ATTACKER_CSRF_COOKIE
    body = json.dumps({"body": "z" * settings.MAX_REQUEST_BYTES})
    response = client.post("/api/conversations/1/messages", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert "larger than" in response.json()["detail"]
    assert not response.wsgi_request.environ["wsgi.input"].read_started


@pytest.mark.parametrize("cap", [None, 300 * 1024])
def test_a_body_of_exactly_the_cap_still_works_and_one_byte_more_is_refused(john, johns_conversation, settings,
                                                                           watched_uploads, cap):
    """The default (1 MB) and a configured cap. A file part counts towards the cap (it
    is read, then ignored by the view); the form fields stay under
    DATA_UPLOAD_MAX_MEMORY_SIZE, which still applies on its own."""
    if cap is not None:
        settings.MAX_REQUEST_BYTES = cap
    limit = settings.MAX_REQUEST_BYTES
    client = client_for(john)
    fields = {"body": "sent with an attachment", "client_token": TOKEN}
    before = Message.objects.count()

    refused = client.post("/portal/chat/send/", multipart(fields, limit + 1), content_type=MULTIPART)
    assert refused.status_code == 413
    assert Message.objects.count() == before
    assert received_upload_bytes == []

    accepted = client.post("/portal/chat/send/", multipart(fields, limit), content_type=MULTIPART)
    assert accepted.status_code == 302
    assert Message.objects.count() == before + 1
    assert Message.objects.latest("pk").body == "sent with an attachment"
    assert sum(received_upload_bytes) > 0  # the file part was read this time: the cap let it through


def test_data_upload_max_memory_size_still_refuses_large_form_fields(john, johns_conversation, settings):
    """Under MAX_REQUEST_BYTES but over DATA_UPLOAD_MAX_MEMORY_SIZE: Django's own 400."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.MAX_REQUEST_BYTES
    client = client_for(john)
    client.raise_request_exception = False
    before = Message.objects.count()
    response = client.post("/portal/chat/send/", {"body": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
                                                  "client_token": TOKEN})
    assert response.status_code == 400
    assert Message.objects.count() == before


@pytest.mark.parametrize("declared", ["12abc", "-1", "+5", " 5"])
def test_a_content_length_that_is_not_a_number_is_400(db, declared):
    response = Client().post("/accounts/login/", "username=a", content_type="application/x-www-form-urlencoded",
                             CONTENT_LENGTH=declared)
    assert response.status_code == 400
    assert "Content-Length" in response.content.decode()


# --- against gunicorn, as production runs it -------------------------------------------

@pytest.fixture(scope="module")
def server():
    """gunicorn on a throwaway SQLite file: a refusal never reaches the database."""
    with tempfile.TemporaryDirectory() as directory, gunicorn(database_url=f"sqlite:///{directory}/db.sqlite3") as address:
        yield address


def raw_exchange(address, head: bytes, body_start: bytes) -> bytes:
    """Send the request line, headers and only the START of the body, then read the
    answer: a server that waited for the rest of the body would time out."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(head + body_start)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        return answer


def test_gunicorn_answers_413_without_waiting_for_a_declared_large_body(server):
    head = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=" + BOUNDARY.encode() + b"\r\n"
            b"Cookie: csrftoken=" + ATTACKER_CSRF_COOKIE.encode() + b"\r\n"
            b"Content-Length: " + str(10 * 1024 * 1024).encode() + b"\r\n\r\n")
    answer = raw_exchange(server, head, b"--" + BOUNDARY.encode() + b"\r\n" + b"x" * 4096)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_gunicorn_refuses_a_chunked_body_with_411(server):
    """No Content-Length: gunicorn passes the chunked body on, Django's WSGIRequest would
    read none of it (its LimitedStream allows 0 bytes). Refused plainly instead."""
    head = (b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Cookie: csrftoken=" + ATTACKER_CSRF_COOKIE.encode() + b"\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    answer = raw_exchange(server, head, b"400\r\n" + b"u" * 1024 + b"\r\n")  # never terminated
    assert answer.startswith(b"HTTP/1.1 411 "), answer[:200]
