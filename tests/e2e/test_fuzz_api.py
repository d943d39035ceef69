"""Generated requests against our own /openapi.json: no 5xx, and every 4xx is JSON with a message.

Schemathesis generates the cases from the schema; hypothesis drives them
(FUZZ_EXAMPLES_PER_OPERATION per operation), at least 1000 cases in all.
"""

import os
from collections import Counter
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.e2e.conftest import LiveServer, live_server

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES_PER_OPERATION", "25"))
MIN_CASES = 1000
# Pages for people, not API operations.
SKIPPED_PATHS = ("/docs", "/openapi.json")


def check(case: schemathesis.Case, problems: list[str], statuses: Counter) -> None:
    response = case.call(timeout=30, headers={"accept": "application/json"})
    statuses[f"{response.status_code // 100}xx"] += 1
    where = f"{case.method} {case.formatted_path}"
    if response.status_code >= 500:
        problems.append(f"{where} -> {response.status_code}: {response.text[:300]}")
    elif response.status_code >= 400:
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = None
        if not isinstance(detail, str) or not detail:
            problems.append(f"{where} -> {response.status_code} without a JSON detail: {response.text[:300]}")


def test_generated_requests_get_no_server_errors(tmp_path: Path) -> None:
    # A server of its own: the fuzzer creates crons, threads and runs at random.
    with live_server(tmp_path) as server:
        problems, statuses, operations = fuzz(server)
    total = sum(statuses.values())
    print(f"fuzzed {operations} operations with {total} cases: {dict(statuses)}")
    assert total >= MIN_CASES
    distinct = sorted({problem.splitlines()[0][:200] for problem in problems})
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(distinct[:40])


def fuzz(server: LiveServer) -> tuple[list[str], Counter, int]:
    loaded = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    problems: list[str] = []
    statuses: Counter = Counter()
    operations = 0
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED_PATHS:
            continue
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            check(case, problems, statuses)

        exercise()
    return problems, statuses, operations
