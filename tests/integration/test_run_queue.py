"""Runs of one thread execute one at a time, oldest first; a thread's lock is owned by a token."""

import threading
import uuid

import pytest

from apps.core.errors import Conflict
from apps.core.redis import get_redis
from apps.runs import services
from apps.runs.locks import ThreadLock
from apps.runs.models import Run, RunStatus
from apps.runs.worker import execute_thread_runs
from apps.threads.models import ThreadStatus
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)


def test_enqueued_runs_execute_in_arrival_order(assistants, no_dispatch) -> None:
    thread = create_thread()
    runs = [
        services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id) for _ in range(20)
    ]
    # Deliver the tasks newest first: the queue order must still win.
    for _run in reversed(runs):
        execute_thread_runs(str(thread.thread_id))
    finished = list(Run.objects.filter(thread=thread).order_by("started_at").values_list("run_id", "status"))
    assert [run_id for run_id, _ in finished] == [run.run_id for run in runs]
    assert {status for _, status in finished} == {RunStatus.SUCCESS}
    thread.refresh_from_db()
    assert thread.values == {"count": 40}
    assert thread.status == ThreadStatus.IDLE


def test_worker_that_finds_the_lock_taken_leaves_the_run_to_the_holder(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)
    holder = ThreadLock(get_redis(), str(thread.thread_id))
    assert holder.acquire()
    execute_thread_runs(str(thread.thread_id))
    assert Run.objects.get(pk=run.run_id).status == RunStatus.PENDING
    # The holder sees the wake flag on release and dispatches the run.
    assert holder.release_and_take_wake_flag() is True


def test_reject_strategy_conflicts_with_an_in_flight_run(assistants, no_dispatch) -> None:
    thread = create_thread()
    services.create_run({"assistant_id": "slow"}, thread.thread_id)
    with pytest.raises(Conflict, match="already running"):
        services.create_run({"assistant_id": "slow", "multitask_strategy": "reject"}, thread.thread_id)
    assert Run.objects.filter(thread=thread).count() == 1


def test_concurrent_rejects_accept_exactly_one(assistants, no_dispatch) -> None:
    thread = create_thread()
    outcomes: list[str] = []

    def attempt() -> None:
        from django.db import connection

        try:
            services.create_run({"assistant_id": "slow", "multitask_strategy": "reject"}, thread.thread_id)
            outcomes.append("accepted")
        except Conflict:
            outcomes.append("rejected")
        finally:
            connection.close()

    workers = [threading.Thread(target=attempt) for _ in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert outcomes.count("accepted") == 1
    assert outcomes.count("rejected") == 19
    assert Run.objects.filter(thread=thread).count() == 1


def test_lock_is_released_only_by_its_owner() -> None:
    thread_id = str(uuid.uuid4())
    owner = ThreadLock(get_redis(), thread_id)
    intruder = ThreadLock(get_redis(), thread_id)
    assert owner.acquire()
    assert not intruder.acquire()
    intruder.release_and_take_wake_flag()
    assert owner.owned()
    assert owner.renew()
    assert not intruder.renew()
    owner.release_and_take_wake_flag()
    assert intruder.acquire()
    intruder.release_and_take_wake_flag()


def test_lock_of_a_dead_owner_expires() -> None:
    thread_id = str(uuid.uuid4())
    dead = ThreadLock(get_redis(), thread_id, ttl_s=0.2)
    assert dead.acquire()
    successor = ThreadLock(get_redis(), thread_id)
    from tests.conftest import wait_for

    wait_for(successor.acquire, timeout_s=3)
    assert not dead.owned()
    successor.release_and_take_wake_flag()
