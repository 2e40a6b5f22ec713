"""API fuzzing with Schemathesis over every operation of the OpenAPI document, authenticated as
an administrator: no 5xx, every error a valid problem+json, responses conform to the schema.
Bounded here (QALDYQ_FUZZ_EXAMPLES, default 10 per operation); `make fuzz` runs longer and on
both databases. (Schemathesis' own pytest plugin does not run under pytest 9, so the operations
are driven through its Hypothesis strategies.)"""

from __future__ import annotations

import os

import pytest
import schemathesis
from schemathesis import checks
from hypothesis import HealthCheck, given, settings

from tests.factories import bearer, make_org, make_user

EXAMPLES = int(os.environ.get("QALDYQ_FUZZ_EXAMPLES", "10"))


def test_api_fuzz(app, db, backend):
    if backend != "sqlite" and not os.environ.get("QALDYQ_FUZZ_ALL_BACKENDS"):
        pytest.skip("fuzzing runs on SQLite in `make test`; `make fuzz` covers PostgreSQL too")
    org = make_org(db, roles=("authorized_body",))
    headers = bearer(db, make_user(db, org, "admin"))
    db.commit()
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    calls: list[int] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call(headers=headers)
            calls.append(response.status_code)
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            assert response.status_code < 500, f"{where}: {response.text[:500]}"
            if response.status_code >= 400:
                ctype = response.headers.get("content-type", [""])
                ctype = ctype[0] if isinstance(ctype, list) else ctype
                assert ctype.startswith("application/problem+json"), f"{where}: {response.text[:300]}"
                body = response.json()
                assert {"type", "title", "status"} <= body.keys() and body["status"] == response.status_code, where
            # Business rules (an unknown waste code, a wrong state) refuse schema-valid input with
            # 4xx on purpose, so "positive data acceptance" does not apply here.
            case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])

        try:
            run()
        except Exception as exc:  # collect all operations' failures, then report together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert operations > 5 and len(calls) >= operations, (operations, len(calls))
    assert not failures, "\n\n".join(failures)
