"""The sweeper re-dispatches runs that lost their worker or their task; retries resume from checkpoints."""

import datetime

import pytest
from django.utils import timezone

from apps.core.jsonutil import loads
from apps.core.redis import get_redis
from apps.runs import services
from apps.runs.locks import ThreadLock
from apps.runs.models import Run, RunStatus
from apps.runs.streams import END_EVENT
from apps.runs.sweeper import sweep_runs
from apps.runs.worker import execute_thread_runs
from apps.threads.services import create_thread, get_thread_state
from tests.integration.helpers import stream_events

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0.01}}}


def lose_worker(run: Run, attempt: int) -> None:
    """Make the run look like its worker died mid-run: running, lease lapsed."""
    lapsed = timezone.now() - datetime.timedelta(seconds=1)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, lease_expires_at=lapsed, attempt=attempt)


def test_lapsed_run_is_requeued_and_resumes_from_its_checkpoint(assistants, no_dispatch) -> None:
    thread = create_thread()
    # The first attempt got as far as a checkpoint after `wait_a_while`, then "died".
    run = services.create_run({**QUICK, "interrupt_after": ["wait_a_while"]}, thread.thread_id)
    execute_thread_runs(str(thread.thread_id))
    assert get_thread_state(thread.thread_id)["values"]["steps"] == ["slept"]
    lose_worker(run, attempt=1)
    no_dispatch.clear()

    report = sweep_runs()
    assert report.requeued == 1
    assert Run.objects.get(pk=run.run_id).status == RunStatus.PENDING
    assert no_dispatch == [(str(run.run_id), str(thread.thread_id))]
    no_dispatch.deliver()

    retried = Run.objects.get(pk=run.run_id)
    assert (retried.status, retried.attempt) == (RunStatus.SUCCESS, 2)
    # `wait_a_while` completed before the crash and did not run again.
    assert get_thread_state(thread.thread_id)["values"]["steps"] == ["slept", "finished"]


def test_run_that_keeps_losing_its_worker_ends_in_error(assistants, no_dispatch, settings) -> None:
    settings.RUN_MAX_ATTEMPTS = 2
    thread = create_thread()
    run = services.create_run(QUICK, thread.thread_id)
    lose_worker(run, attempt=2)
    assert sweep_runs().failed == 1
    failed = Run.objects.get(pk=run.run_id)
    assert failed.status == RunStatus.ERROR
    assert failed.error["error"] == "WorkerLost"
    end = loads(dict(stream_events(run.run_id))[END_EVENT])
    assert end["status"] == "error"


def test_live_lease_is_left_alone(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run(QUICK, thread.thread_id)
    future = timezone.now() + datetime.timedelta(seconds=30)
    Run.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, lease_expires_at=future, attempt=1)
    assert sweep_runs().requeued == 0
    assert Run.objects.get(pk=run.run_id).status == RunStatus.RUNNING


def test_pending_run_whose_task_was_lost_is_dispatched_again(assistants, no_dispatch, settings) -> None:
    settings.PENDING_REDISPATCH_AFTER_S = 0
    waiting = create_thread()
    orphan = services.create_run(QUICK, waiting.thread_id)
    busy = create_thread()
    services.create_run(QUICK, busy.thread_id)
    queued_behind = services.create_run(QUICK, busy.thread_id)
    Run.objects.filter(thread=busy).exclude(pk=queued_behind.pk).update(status=RunStatus.RUNNING, attempt=1)
    no_dispatch.clear()

    assert sweep_runs().redispatched == 1
    assert no_dispatch == [(str(orphan.run_id), str(waiting.thread_id))]
    no_dispatch.deliver()
    assert Run.objects.get(pk=orphan.run_id).status == RunStatus.SUCCESS


def test_delayed_run_waits_until_due_then_the_sweeper_dispatches_it(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run({**QUICK, "after_seconds": 0.5}, thread.thread_id)
    assert Run.objects.get(pk=run.run_id).not_before > timezone.now()
    no_dispatch.deliver()  # a worker gets the task early: nothing is due, nothing is claimed
    assert Run.objects.get(pk=run.run_id).status == RunStatus.PENDING
    assert sweep_runs().redispatched == 0

    Run.objects.filter(pk=run.pk).update(not_before=timezone.now() - datetime.timedelta(milliseconds=1))
    assert sweep_runs().redispatched == 1
    no_dispatch.deliver()
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS


def test_a_leaked_thread_lock_is_deleted_once_a_due_run_has_waited_two_lock_lifetimes(
    assistants, no_dispatch, settings
) -> None:
    """A lock kept alive by a heartbeat that serves nothing (a worker bug) must not keep a run
    pending for ever: a dispatch only raises the holder's wake flag, and no holder acts on it."""
    settings.PENDING_REDISPATCH_AFTER_S, settings.THREAD_LOCK_TTL_S = 0, 30
    thread, busy = create_thread(), create_thread()
    run = services.create_run(QUICK, thread.thread_id)
    running = services.create_run(QUICK, busy.thread_id)
    Run.objects.filter(pk=running.pk).update(status=RunStatus.RUNNING, attempt=1)
    leaked, held = ThreadLock(get_redis(), str(thread.thread_id)), ThreadLock(get_redis(), str(busy.thread_id))
    assert leaked.acquire() and held.acquire()

    # Within two lock lifetimes the holder may just be about to claim: the lock stays.
    assert (sweep_runs().unlocked, leaked.owned()) == (0, True)
    long_ago = timezone.now() - datetime.timedelta(seconds=61)
    Run.objects.filter(pk__in=[run.pk, running.pk]).update(created_at=long_ago)
    report = sweep_runs()
    assert (report.redispatched, report.unlocked) == (1, 1)
    assert not leaked.owned() and held.owned()  # a thread with a run running keeps its lock
    no_dispatch.deliver()
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS
    held.release_and_take_wake_flag()
