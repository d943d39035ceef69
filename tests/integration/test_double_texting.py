"""interrupt, rollback and cancel reach a run whether it is pending or running on a worker."""

import threading

import pytest
from django.db import connection

from apps.core.errors import Conflict
from apps.runs import services
from apps.runs import worker as run_worker
from apps.runs.models import Run, RunStatus
from apps.runs.worker import execute_thread_runs
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import create_thread, get_thread_state
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 30}}}
QUICK = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0.01}}}


class Worker(threading.Thread):
    """A worker slot executing a thread's queue in the background, as a Celery task would."""

    def __init__(self, run: Run) -> None:
        super().__init__(daemon=True)
        self.run_id, self.thread_id = str(run.run_id), str(run.thread_id)

    def run(self) -> None:
        try:
            execute_thread_runs(self.thread_id)
        finally:
            connection.close()


def start_running(payload: dict, thread: Thread) -> tuple[Run, Worker]:
    run = services.create_run(payload, thread.thread_id)
    worker = Worker(run)
    worker.start()
    wait_for(lambda: Run.objects.get(pk=run.run_id).status == RunStatus.RUNNING)
    return run, worker


def test_interrupt_stops_a_running_run_and_the_new_run_continues(assistants, no_dispatch) -> None:
    thread = create_thread()
    from apps.threads.services import get_thread_history

    def runs_in_history() -> set:
        return {h["metadata"].get("run_id") for h in get_thread_history(thread.thread_id, limit=50)}

    first, worker = start_running(SLOW, thread)
    # Running is not yet checkpointed (LangGraph saves in the background): interrupt once it is.
    wait_for(lambda: str(first.run_id) in runs_in_history())
    second = services.create_run({**QUICK, "multitask_strategy": "interrupt"}, thread.thread_id)
    worker.join(timeout=20)
    assert not worker.is_alive(), "the 30 s node was not cancelled"
    no_dispatch.deliver()

    assert Run.objects.get(pk=first.run_id).status == RunStatus.INTERRUPTED
    assert Run.objects.get(pk=second.run_id).status == RunStatus.SUCCESS
    state = get_thread_state(thread.thread_id)
    assert state["values"]["steps"] == ["slept", "finished"]  # only the second run's steps
    # The interrupted run's checkpoints are kept: its input checkpoint is still in the history.
    assert str(first.run_id) in runs_in_history()


def test_rollback_deletes_the_running_run_and_its_checkpoints(assistants, no_dispatch) -> None:
    thread = create_thread()
    services.create_run(QUICK, thread.thread_id)
    execute_thread_runs(str(thread.thread_id))
    before = get_thread_state(thread.thread_id)

    first, worker = start_running({**SLOW, "input": {"steps": ["from-rolled-back-run"]}}, thread)
    wait_for(lambda: len(get_thread_state(thread.thread_id)["values"].get("steps", [])) == 3)
    second = services.create_run({**QUICK, "multitask_strategy": "rollback"}, thread.thread_id)
    worker.join(timeout=20)
    assert not worker.is_alive()
    no_dispatch.deliver()

    assert not Run.objects.filter(pk=first.run_id).exists()
    assert Run.objects.get(pk=second.run_id).status == RunStatus.SUCCESS
    from apps.threads.services import get_thread_history

    history = get_thread_history(thread.thread_id, limit=100)
    assert str(first.run_id) not in {h["metadata"].get("run_id") for h in history}
    steps = get_thread_state(thread.thread_id)["values"]["steps"]
    assert steps == before["values"]["steps"] + ["slept", "finished"]


@pytest.mark.parametrize("strategy", ["interrupt", "rollback"])
def test_a_pending_run_is_stopped_before_it_starts(assistants, no_dispatch, strategy: str) -> None:
    thread = create_thread()
    first = services.create_run(SLOW, thread.thread_id)
    second = services.create_run({**QUICK, "multitask_strategy": strategy}, thread.thread_id)
    execute_thread_runs(str(thread.thread_id))

    if strategy == "rollback":
        assert not Run.objects.filter(pk=first.run_id).exists()
    else:
        stopped = Run.objects.get(pk=first.run_id)
        assert stopped.status == RunStatus.INTERRUPTED and stopped.started_at is None
    assert Run.objects.get(pk=second.run_id).status == RunStatus.SUCCESS


def test_cancel_interrupts_a_running_run_and_leaves_thread_interrupted(assistants, no_dispatch) -> None:
    thread = create_thread()
    run, worker = start_running(SLOW, thread)
    services.cancel_run(thread.thread_id, run.run_id, "interrupt")
    worker.join(timeout=20)
    assert not worker.is_alive()
    assert Run.objects.get(pk=run.run_id).status == RunStatus.INTERRUPTED
    assert Thread.objects.get(pk=thread.thread_id).status == ThreadStatus.INTERRUPTED


def test_cancelling_a_finished_run_changes_nothing(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run(QUICK, thread.thread_id)
    execute_thread_runs(str(thread.thread_id))
    services.cancel_run(thread.thread_id, run.run_id, "rollback")
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS


def test_bulk_cancel_of_pending_runs(assistants, no_dispatch) -> None:
    thread = create_thread()
    runs = [services.create_run(QUICK, thread.thread_id) for _ in range(3)]
    assert services.cancel_runs(thread_id=thread.thread_id, run_ids=[r.run_id for r in runs]) == 3
    assert set(Run.objects.filter(thread=thread).values_list("status", flat=True)) == {RunStatus.INTERRUPTED}
    assert Thread.objects.get(pk=thread.thread_id).status == ThreadStatus.IDLE


def test_reject_leaves_the_in_flight_run_untouched(assistants, no_dispatch) -> None:
    thread = create_thread()
    first = services.create_run(QUICK, thread.thread_id)
    with pytest.raises(Conflict):
        services.create_run({**QUICK, "multitask_strategy": "reject"}, thread.thread_id)
    assert Run.objects.get(pk=first.run_id).status == RunStatus.PENDING


def test_worker_shutdown_requeues_runs_still_going_after_the_grace_period(assistants, no_dispatch) -> None:
    worker = run_worker.Worker()  # its own admission state: the process's worker keeps serving the other tests
    thread = create_thread()
    run = services.create_run(SLOW, thread.thread_id)
    serving = worker.accept(str(thread.thread_id))
    assert serving is not None and worker.in_flight == 1
    no_dispatch.clear()
    # Claimed is not yet executing: drain once the graph has checkpointed its input (it is in its node).
    from apps.threads.services import get_thread_history

    wait_for(lambda: get_thread_history(thread.thread_id, limit=5))

    assert worker.drain(grace_s=0.2) == 1
    assert worker.in_flight == 0
    requeued = Run.objects.get(pk=run.run_id)  # read at once: drain returns only once it is recorded
    assert requeued.status == RunStatus.PENDING
    serving.result(timeout=5)  # the coroutine frees its slot just before it returns
    assert requeued.attempt == 0  # a graceful requeue does not count as an attempt
    assert (str(run.run_id), str(thread.thread_id)) in no_dispatch
    assert worker.accept(str(thread.thread_id)) is None  # a stopping worker claims nothing more
    assert Run.objects.get(pk=run.run_id).status == RunStatus.PENDING


def test_a_run_finishing_within_the_grace_period_is_not_requeued(assistants, no_dispatch) -> None:
    worker = run_worker.Worker()
    thread = create_thread()
    run = services.create_run({**SLOW, "config": {"configurable": {"delay": 0.3}}}, thread.thread_id)
    serving = worker.accept(str(thread.thread_id))
    assert serving is not None

    assert worker.drain(grace_s=20) == 0
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS
