"""How a run ends when something under it fails: an outage is retried, any other failure ends it at once."""

import psycopg
import pytest
import redis
from django.db import utils as db_utils
from psycopg_pool import PoolTimeout

from apps.core.failures import is_transient
from apps.graphs.checkpointer import get_sync_checkpointer
from apps.graphs.registry import get_registry
from apps.runs import services
from apps.runs.models import Run, RunStatus
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)


def wrapped_by_django(cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except psycopg.Error as exc:
            raise db_utils.OperationalError(str(exc)) from exc
    except db_utils.OperationalError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    "exc",
    [
        psycopg.OperationalError("server closed the connection unexpectedly"),
        psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        PoolTimeout("couldn't get a connection after 1.00 sec"),
        psycopg.InterfaceError("the connection is closed"),
        wrapped_by_django(psycopg.OperationalError("connection refused")),
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379"),
        redis.TimeoutError("Timeout reading from socket"),
    ],
)
def test_outages_are_transient(exc: Exception) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        psycopg.errors.UntranslatableCharacter("unsupported Unicode escape sequence"),
        psycopg.DataError("integer out of range"),
        psycopg.IntegrityError("duplicate key"),
        db_utils.DataError("unsupported Unicode escape sequence"),
        ValueError("boom"),  # a graph's own
        redis.ResponseError("WRONGTYPE"),
    ],
)
def test_faults_are_not_transient(exc: Exception) -> None:
    assert not is_transient(exc)


def test_a_value_postgresql_cannot_store_ends_the_run_in_error_at_once(assistants, no_dispatch) -> None:
    """The issue's poison case: a NUL byte in a thread's checkpointed state. Writing the run's
    outcome fails with a DataError; the run must end `error` saying so, on its first attempt
    (not stay `running` until the sweeper gives up on it as WorkerLost)."""
    thread = create_thread(metadata={"graph_id": "slow"})
    config = {"configurable": {"thread_id": str(thread.thread_id)}}
    graph = get_registry().get("slow").build_sync(config).copy(update={"checkpointer": get_sync_checkpointer()})
    graph.update_state(config, {"steps": ["nul \x00 byte"]}, as_node="finish")

    run = services.create_run(
        {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0}}}, thread.thread_id
    )
    no_dispatch.deliver()

    run.refresh_from_db()
    assert run.status == RunStatus.ERROR
    assert run.attempt == 1
    assert run.error["error"] in ("DataError", "UntranslatableCharacter")
    assert "Unicode" in run.error["message"] or "\\u0000" in run.error["message"]
    assert not Run.objects.filter(status=RunStatus.RUNNING).exists()
