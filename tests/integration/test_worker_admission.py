"""Back-pressure: a worker holds at most MAX_RUNS_PER_WORKER runs in flight, and stops claiming when
memory is short; runs in flight are coroutines on one loop, not threads."""

import threading
from concurrent.futures import Future

import pytest

from apps.runs import services
from apps.runs.models import Run, RunStatus
from apps.runs.worker import Worker
from apps.threads.services import create_thread
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 30}}}


class Admission(threading.Thread):
    """A Celery thread handing a thread's run to the worker (it blocks while the worker is full)."""

    def __init__(self, worker: Worker, thread_id: str) -> None:
        super().__init__(daemon=True)
        self.worker, self.thread_id = worker, thread_id
        self.serving: Future | None = None

    def run(self) -> None:
        self.serving = self.worker.accept(self.thread_id)


def slow_run() -> Run:
    return services.create_run(SLOW, create_thread().thread_id)


def status(run: Run) -> str:
    return Run.objects.get(pk=run.run_id).status


def test_runs_in_flight_share_the_loop_without_holding_a_thread(assistants, no_dispatch, settings) -> None:
    settings.MAX_RUNS_PER_WORKER = 20
    worker = Worker()
    runs = [slow_run() for _ in range(12)]  # more than the Celery threads a process has by default
    futures = [worker.accept(str(run.thread_id)) for run in runs]  # each returns once its run is claimed

    assert all(future is not None for future in futures) and worker.in_flight == 12
    assert {status(run) for run in runs} == {RunStatus.RUNNING}
    assert worker.drain(grace_s=0) == 12
    assert {status(run) for run in runs} == {RunStatus.PENDING}


def test_a_full_worker_claims_nothing_until_a_run_ends(assistants, no_dispatch, settings) -> None:
    settings.MAX_RUNS_PER_WORKER = 2
    worker = Worker()
    first, second, third = slow_run(), slow_run(), slow_run()
    assert worker.accept(str(first.thread_id)) is not None
    assert worker.accept(str(second.thread_id)) is not None
    waiting = Admission(worker, str(third.thread_id))
    waiting.start()
    waiting.join(timeout=1.0)  # a full worker keeps the message's thread waiting
    assert waiting.is_alive() and status(third) == RunStatus.PENDING

    services.cancel_run(first.thread_id, first.run_id)
    wait_for(lambda: status(third) == RunStatus.RUNNING, timeout_s=20)
    waiting.join(timeout=5)
    assert not waiting.is_alive() and waiting.serving is not None
    assert status(first) == RunStatus.INTERRUPTED and worker.in_flight == 2
    worker.drain(grace_s=0)


def test_short_memory_stops_claiming_but_never_stalls_an_idle_worker(assistants, no_dispatch, settings) -> None:
    settings.WORKER_MAX_RSS_MB = 1  # any process is above it: memory is always "short"
    worker = Worker()
    first, second = slow_run(), slow_run()
    assert worker.accept(str(first.thread_id)) is not None  # nothing in flight: admitted anyway
    waiting = Admission(worker, str(second.thread_id))
    waiting.start()
    waiting.join(timeout=1.0)
    assert waiting.is_alive() and status(second) == RunStatus.PENDING

    worker.drain(grace_s=0)  # shutdown releases the waiting message too; its run stays pending
    waiting.join(timeout=5)
    assert not waiting.is_alive() and waiting.serving is None
    assert status(second) == RunStatus.PENDING
    assert (str(second.run_id), str(second.thread_id)) in no_dispatch  # handed to another worker
