"""Integration tests: real PostgreSQL and Redis, services called in-process."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.assistants.services import ensure_default_assistants
from apps.graphs.checkpointer import reset_checkpointers
from apps.graphs.registry import reset_registry
from apps.graphs.store import reset_stores


@pytest.fixture
def assistants(transactional_db: None) -> dict[str, object]:
    """Default assistants for the fixture app's graphs, by graph id."""
    reset_registry()
    return {a.graph_id: a for a in ensure_default_assistants()}


@pytest.fixture
def staff(assistants: dict) -> Client:
    """A logged-in superuser's client for the admin pages."""
    get_user_model().objects.create_superuser("ops", "", "pw")
    client = Client()
    client.login(username="ops", password="pw")
    return client


@pytest.fixture(autouse=True)
def fresh_checkpointer_pools() -> None:
    # Pools (checkpointer and store) are bound to the test database; start each test with new ones.
    yield
    reset_checkpointers()
    reset_stores()


class Dispatches(list):
    """Task dispatches recorded instead of sent; `deliver()` plays the Celery worker."""

    def deliver(self) -> None:
        from apps.runs.worker import execute_thread_runs

        while self:
            _, thread_id = self.pop(0)
            execute_thread_runs(thread_id)


@pytest.fixture
def no_dispatch(monkeypatch: pytest.MonkeyPatch) -> Dispatches:
    """Record task dispatches instead of sending them, so a test runs the worker side itself."""
    sent = Dispatches()

    def record(run_id: object, thread_id: object, delay_s: float = 0) -> None:
        sent.append((str(run_id), str(thread_id)))

    # The API's create path imported the name; the worker and the sweeper call it through the module.
    monkeypatch.setattr("apps.runs.services.dispatch_run", record)
    monkeypatch.setattr("apps.runs.dispatch.dispatch_run", record)
    return sent
