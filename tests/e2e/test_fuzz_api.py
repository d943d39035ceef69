"""Generated requests against our own /openapi.json and against upstream's schema: no 5xx, and
every 4xx is JSON with a message.

Schemathesis generates the cases from the schema; hypothesis drives them
(FUZZ_EXAMPLES_PER_OPERATION per operation on ours, at least 1000 cases in all;
UPSTREAM_EXAMPLES_PER_OPERATION on upstream's, which is what clients are
written against: ../shared/reference/agent-server-openapi.json, missing = fail).
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings

from tests.conftest import reference_schema
from tests.e2e.conftest import LiveServer, live_server

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES_PER_OPERATION", "25"))
MIN_CASES = 1000
UPSTREAM_EXAMPLES_PER_OPERATION = int(os.environ.get("UPSTREAM_EXAMPLES_PER_OPERATION", "10"))
# Upstream's schema lists ~64 operations: fewer cases means the schema failed to load.
UPSTREAM_MIN_CASES = 400
# Pages for people, not API operations.
SKIPPED_PATHS = ("/docs", "/openapi.json")


NOT_SERVED: set[str] = set()


def served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def error_message(body: object) -> object:
    """The message of a JSON error: `{"detail": ...}` for the REST API; the JSON-RPC
    (`{"error": {"message": ...}}`), A2A (`{"error": "..."}`) and thread-protocol
    (`{"type": "error", "message": ...}`) endpoints answer in their own protocols' shapes, as upstream's do."""
    if not isinstance(body, dict):
        return None
    if "detail" in body:
        return body["detail"]
    error = body.get("error")
    if body.get("type") == "error":
        return body.get("message")
    return error.get("message") if isinstance(error, dict) else error


def check(case: schemathesis.Case, problems: list[str], statuses: Counter, base_url: str | None = None) -> None:
    response = case.call(base_url=base_url, timeout=30, headers={"accept": "application/json"})
    statuses[f"{response.status_code // 100}xx"] += 1
    where = f"{case.method} {case.formatted_path}"
    if response.status_code == 404 and not served(case.formatted_path):
        # An upstream operation this server has no route for yet: listed, not a bad answer.
        NOT_SERVED.add(f"{case.method} {case.operation.path}")
        return
    if response.status_code >= 500:
        problems.append(f"{where} -> {response.status_code}: {response.text[:300]}\n  body: {case.body!r:.300}")
    elif response.status_code >= 400:
        try:
            detail = error_message(response.json())
        except ValueError:
            detail = None
        if not isinstance(detail, str) or not detail:
            problems.append(f"{where} -> {response.status_code} without a JSON detail: {response.text[:300]}")


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    # A server of its own: the fuzzer creates crons, threads and runs at random.
    with live_server(tmp_path_factory.mktemp("fuzz")) as server:
        yield server


def test_generated_requests_get_no_server_errors(fuzzed_server: LiveServer) -> None:
    loaded = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    problems, statuses, operations = fuzz(loaded, EXAMPLES_PER_OPERATION)
    assert_no_bad_answers(problems, statuses, operations, MIN_CASES)


def test_requests_generated_from_upstreams_schema_get_no_server_errors(fuzzed_server: LiveServer) -> None:
    """What upstream's clients may send: every operation of its schema, against us."""
    loaded = schemathesis.openapi.from_path(str(reference_schema()))
    problems, statuses, operations = fuzz(loaded, UPSTREAM_EXAMPLES_PER_OPERATION, base_url=fuzzed_server.url)
    assert_no_bad_answers(problems, statuses, operations, UPSTREAM_MIN_CASES)


def assert_no_bad_answers(problems: list[str], statuses: Counter, operations: int, min_cases: int) -> None:
    total = sum(statuses.values())
    print(f"fuzzed {operations} operations with {total} cases: {dict(statuses)}")
    if NOT_SERVED:
        print(f"operations without a route here: {sorted(NOT_SERVED)}")
    assert total >= min_cases
    distinct = sorted({problem.splitlines()[0][:200] for problem in problems})
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(distinct[:40])


def fuzz(
    loaded: schemathesis.schemas.BaseSchema, examples: int, base_url: str | None = None
) -> tuple[list[str], Counter, int]:
    problems: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED_PATHS:
            continue
        operations += 1

        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            check(case, problems, statuses, base_url)

        exercise()
    return problems, statuses, operations
