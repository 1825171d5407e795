"""A fuzz run over the OpenAPI description (schemathesis): whatever the request, no server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from test_api import ROBOTS


@pytest.fixture
def fuzzed_api(make_project, embedded):  # noqa: ANN001
    from orchestrator import projects
    from orchestrator.loader import load_project
    from orchestrator.web.app import create_app
    from orchestrator.web.tokens import create_token

    root = make_project(ROBOTS)
    engine = projects.ledger_for(load_project(root)).engine
    _, token = create_token(engine, role="admin", name="fuzz")
    app = create_app(root, threads=1)
    app.state.fuzz_token = token
    # deleting tokens would revoke the fuzzer's own; that route is covered in test_api.py
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(method="DELETE")


def test_no_request_makes_a_server_error(fuzzed_api) -> None:  # noqa: ANN001
    """Every operation, a dozen generated requests each (with an admin token), none answered with a 5xx."""
    token = fuzzed_api.app.state.fuzz_token
    tested, calls = [], []
    for result in fuzzed_api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def fuzz(case) -> None:  # noqa: ANN001
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                              checks=[not_a_server_error])
            calls.append(response.status_code)

        fuzz()
        tested.append(operation.label)
    assert len(tested) >= 10, tested
    assert len(calls) >= 5 * len(tested) and any(code < 300 for code in calls)
