"""How a run ends when something under it fails: an outage is retried, any other failure ends it at once."""

import os
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from django.db import connection
from django.db import utils as db_utils
from psycopg_pool import PoolTimeout

from apps.core.failures import is_transient
from apps.core.redis import get_redis
from apps.graphs.checkpointer import get_sync_checkpointer
from apps.graphs.registry import get_registry
from apps.runs import services, transitions
from apps.runs.locks import lock_key
from apps.runs.models import Run, RunStatus
from apps.runs.worker import Worker, _retry_after_outage
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


def refuse_connections(database: str, *, after_s: float, for_s: float, spare_pid: int) -> threading.Thread:
    """A PostgreSQL outage for one database: its connections cut (but `spare_pid`'s), new ones
    refused, for a while."""
    admin_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))

    def outage() -> None:
        time.sleep(after_s)
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid NOT IN (pg_backend_pid(), %s)",
                (database, spare_pid),
            )
            time.sleep(for_s)
            admin.execute(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true')

    thread = threading.Thread(target=outage)
    thread.start()
    return thread


def test_a_run_cut_by_a_database_outage_resumes_from_its_checkpoint(assistants, no_dispatch, tmp_path: Path) -> None:
    """step_one checkpoints; PostgreSQL cuts the worker's checkpointer connections and refuses new
    ones while step_two sleeps, so step_two's checkpoint fails: an outage, not the graph's fault.
    The run must not end `error` but be retried until PostgreSQL is back, and start again at
    step_two. (This thread's connection is spared: recording that decision needs one.)"""
    log = tmp_path / "steps.log"
    thread = create_thread()
    config = {"configurable": {"delay": 1.0, "log_path": str(log)}}
    run = services.create_run({"assistant_id": "counted", "input": {}, "config": config}, thread.thread_id)
    connection.ensure_connection()
    spare_pid = connection.connection.info.backend_pid
    outage = refuse_connections(connection.settings_dict["NAME"], after_s=0.4, for_s=3.0, spare_pid=spare_pid)
    # Each attempt that fails for the outage dispatches the run again (the recorder skips the pause,
    # so attempts follow one another until PostgreSQL is back); deliver() plays them all.
    no_dispatch.deliver()
    outage.join()

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCESS, run.error
    assert run.attempt >= 2
    steps = log.read_text().splitlines()
    assert steps.count("step_one") == 1  # checkpointed before the outage: not run again
    assert steps.count("step_two started") == 2  # its checkpoint was lost to the outage: run again
    # (LangGraph saves checkpoints in the background: step_three may have run before the save failed.)
    assert steps[-1] == "step_three"


def test_a_run_requeued_after_an_outage_is_not_claimed_again_before_its_pause(assistants, no_dispatch) -> None:
    """The requeued run is the thread's oldest pending one: claiming on at once (the thread has
    more runs) would skip the doubling pause. The worker leaves the thread; the delayed
    dispatch brings it back."""
    thread = create_thread()
    first = services.create_run({"assistant_id": "slow", "input": {}}, thread.thread_id)
    services.create_run({"assistant_id": "slow", "input": {}}, thread.thread_id)
    run = transitions.claim_next_run(str(thread.thread_id))
    assert run.run_id == first.run_id and run.has_more
    _retry_after_outage(run)
    assert Run.objects.get(pk=first.pk).status == RunStatus.PENDING
    assert not run.has_more  # what Worker._serve reads to claim the thread's next run or leave it


def test_a_claim_cut_by_a_database_outage_lets_go_of_the_threads_lock(assistants, no_dispatch) -> None:
    """PostgreSQL drops the connection the claim runs on. The worker must release the thread's
    lock (and stop renewing it): a lock kept alive by the heartbeat would leave this run, and
    every later run of the thread, pending for ever, however often the sweeper re-dispatched."""
    thread_id = str(create_thread().thread_id)
    run = services.create_run(
        {"assistant_id": "agent", "input": {"messages": [{"role": "user", "content": "hi"}]}}, thread_id
    )
    connection.ensure_connection()
    terminate_backend(connection.connection.info.backend_pid)
    worker = Worker()

    with pytest.raises(db_utils.Error):
        worker.accept(thread_id)

    connection.close()  # what Celery's task end does with a broken connection
    assert not get_redis().exists(lock_key(thread_id))
    assert Run.objects.get(pk=run.pk).status == RunStatus.PENDING
    serving = worker.accept(thread_id)  # the sweeper's re-dispatch, once the database answers
    assert serving is not None
    serving.result(timeout=30)
    assert Run.objects.get(pk=run.pk).status == RunStatus.SUCCESS


def terminate_backend(pid: int) -> None:
    admin_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))  # waits until it is gone
