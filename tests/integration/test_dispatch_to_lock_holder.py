"""A run created while a worker holds its thread's lock costs no Celery message: the holder runs it."""

import asyncio

import pytest

from apps.core.redis import get_redis
from apps.runs import dispatch, services
from apps.runs.locks import ThreadLock
from apps.runs.models import Run, RunStatus
from apps.runs.worker import Worker, execute_thread_runs
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Task messages the broker would have received."""
    messages: list[list[str]] = []
    monkeypatch.setattr(
        "apps.runs.dispatch.send_execute_task",
        lambda run_id, thread_id, countdown=None: messages.append([run_id, thread_id]),
        raising=True,
    )
    return messages


def test_a_run_of_an_idle_thread_is_sent_to_the_broker(assistants, sent) -> None:
    thread = create_thread()
    run = services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)
    assert sent == [[str(run.run_id), str(thread.thread_id)]]


def test_a_run_of_a_locked_thread_wakes_the_holder_instead(assistants, sent) -> None:
    thread = create_thread()
    holder = ThreadLock(get_redis(), str(thread.thread_id))
    assert holder.acquire()
    run = services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)
    assert sent == []
    # The holder's claim loop would take the flag; at release it must still see it.
    assert holder.release_and_take_wake_flag() is True
    dispatch.dispatch_next_pending(str(thread.thread_id))
    assert sent == [[str(run.run_id), str(thread.thread_id)]]


def test_the_holder_runs_what_arrived_while_it_held_the_lock(assistants, sent) -> None:
    thread = create_thread()
    holder = ThreadLock(get_redis(), str(thread.thread_id))
    assert holder.acquire()
    payload = {"assistant_id": "packaged", "input": {"count": 1}}
    [services.create_run(dict(payload), thread.thread_id) for _ in range(3)]
    holder.release_and_take_wake_flag()
    # One message for the first run; the worker that takes the lock claims all three.
    execute_thread_runs(str(thread.thread_id))
    statuses = set(Run.objects.filter(thread=thread).values_list("status", flat=True))
    assert statuses == {RunStatus.SUCCESS}
    assert sent == []


def test_a_run_created_while_the_holder_executes_is_claimed_after_its_release(
    assistants, sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = create_thread()
    payload = {"assistant_id": "packaged", "input": {"count": 1}}
    first = services.create_run(dict(payload), thread.thread_id)
    sent.clear()
    execute = Worker._execute
    arrived: list[Run] = []

    async def execute_and_meanwhile_receive_a_run(self: Worker, run: Run) -> None:
        if not arrived:  # arrives after the claim saw no other pending run
            arrived.append(await asyncio.to_thread(services.create_run, dict(payload), thread.thread_id))
        await execute(self, run)

    monkeypatch.setattr(Worker, "_execute", execute_and_meanwhile_receive_a_run)
    execute_thread_runs(str(thread.thread_id))
    statuses = dict(Run.objects.filter(thread=thread).values_list("run_id", "status"))
    assert statuses == {first.run_id: RunStatus.SUCCESS, arrived[0].run_id: RunStatus.SUCCESS}
    assert sent == []  # the holder took the lock again instead of a message
    assert not get_redis().exists(ThreadLock(get_redis(), str(thread.thread_id)).key)
