"""The OpenAPI document fuzzed with schemathesis against the real server: valid and invalid requests to every
operation, as an admin; no answer may be a 5xx, and every answer must match the document (status, media type,
headers, body schema). Failures of all operations are collected, then reported together."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = 20


def _fuzz(operation, mode: GenerationMode, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_answers_as_documented(api_server, api_env, mode):
    headers = {"Authorization": f"Bearer {api_env[1]['admin']}"}
    schema = schemathesis.openapi.from_url(f"{api_server.url}/api/v1/openapi.json", headers=headers)
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tried += 1
        try:
            _fuzz(operation, mode, headers)
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, report them together
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert tried >= 20
    assert not failures, "\n\n".join(failures)
