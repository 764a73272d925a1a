"""Property-based run of /api/openapi.json with schemathesis (its Python API).

Every operation, as an admin, a staff member and a customer (2xx, 403 and 404
paths are exercised), with valid (positive) and invalid (negative) data: no
answer may be a 5xx, and every answer must be a documented status with the
documented JSON shape. Deterministic (derandomize) and bounded, so it runs in
CI by default on SQLite and MariaDB.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.client import CSRF_TOKEN, MISSING_ID, api_client

MAX_EXAMPLES = 40
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _session_cookies(user) -> dict:
    client = api_client(user)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN}


@pytest.fixture
def schema(db):
    # Like django.test.Client: a request must not close the test's connection (and with
    # it the test transaction) when it ends, so the handler runs without that signal.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_openapi_document_lists_exactly_the_specified_routes(schema):
    routes = sorted((op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations())
    assert routes == [
        ("GET", "/api/admin/conversations"),
        ("GET", "/api/admin/staff"),
        ("GET", "/api/conversations/{conversation_id}/messages"),
        ("GET", "/api/portal/conversation"),
        ("GET", "/api/staff/conversations"),
        ("PATCH", "/api/admin/conversations"),
        ("PATCH", "/api/admin/conversations/bulk"),
        ("POST", "/api/conversations/{conversation_id}/messages"),
    ]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
@pytest.mark.parametrize("persona", ["admin", "sarah", "john"])
def test_no_server_error_and_no_undocumented_answer(schema, world, persona, mode):
    cookies = _session_cookies(world[persona])
    headers = {"X-CSRFToken": CSRF_TOKEN}
    # Real ids now and then, so generated requests reach past the 404 into the service code.
    known_ids = st.sampled_from([world["johns"].pk, world["janes"].pk, MISSING_ID, None])

    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), known_id=known_ids)
        def run(case, known_id):
            if known_id is not None:
                if "conversation_id" in (case.path_parameters or {}):
                    case.path_parameters["conversation_id"] = known_id
                if isinstance(case.body, dict) and "conversation_id" in case.body:
                    case.body["conversation_id"] = known_id
            response = case.call(headers=headers, cookies=cookies)
            case.validate_response(response, checks=CHECKS)

        run()
