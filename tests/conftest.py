"""Shared test set-up.

The test command (`scripts/test`) provides DATABASE_URL / REDIS_URL, starting
embedded PostgreSQL and Redis when they are not set. Every test process serves
the fixture application in tests/fixtures/app (the example agent plus graphs
that are slow, fail, interrupt, or are built by a factory).
"""

import time
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURE_APP = Path(__file__).parent / "fixtures" / "app"
FIXTURE_CONFIG = FIXTURE_APP / "langgraph.json"
REPO = Path(__file__).resolve().parents[1]
REFERENCE_SCHEMA = Path("shared") / "reference" / "agent-server-openapi.json"


def reference_schema() -> Path:
    """Upstream's OpenAPI schema, kept beside the repository (`../shared/reference/...`).

    In a linked git worktree the main checkout's `../shared` counts too. Tests
    that compare with upstream fail (never skip) when it is missing.
    """
    roots = [REPO]
    git = REPO / ".git"
    if git.is_file():  # a linked worktree: ".git" names <main>/.git/worktrees/<name>
        gitdir = Path(git.read_text().split(":", 1)[1].strip())
        roots.append(gitdir.parents[2])
    for root in roots:
        candidate = (root / ".." / REFERENCE_SCHEMA).resolve()
        if candidate.exists():
            return candidate
    pytest.fail(f"upstream's schema is missing: expected {REPO.parent / REFERENCE_SCHEMA}")


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    settings.LANGGRAPH_CONFIG = str(FIXTURE_CONFIG)


def wait_for(condition: Callable[[], object], timeout_s: float = 10.0, interval_s: float = 0.02) -> object:
    """Poll a condition until it is truthy or the deadline passes (tests only)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s} s")
