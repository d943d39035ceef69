"""The sweeper: no run stays pending or running forever.

A beat task calls `sweep_runs()` every SWEEP_INTERVAL_S:
1. A running run whose lease lapsed lost its worker (SIGKILL, host gone).
   Compare-and-set it back to pending (only if the lease is still lapsed) and
   dispatch it; the retry resumes from its last checkpoint. A run that has
   used RUN_MAX_ATTEMPTS executions ends in `error` instead.
2. A thread whose oldest pending run has waited PENDING_REDISPATCH_AFTER_S
   with nothing running gets that run dispatched again (its task was lost:
   Redis flushed or restarted, or a wake flag vanished). Duplicates are
   harmless: claiming is compare-and-set. A run delayed by after_seconds
   is dispatched here once due (long delays are not sent with a countdown).
3. If such a run has waited two lock lifetimes more and its thread's lock is
   still held, no holder is going to claim it (a holder claims within moments,
   and a dead one's lock expires): the lock leaked, kept alive by a heartbeat.
   The sweeper deletes it, so the dispatch reaches a worker. Should a holder
   exist after all, one_running_run_per_thread still keeps the thread's runs
   one at a time, and its compare-and-delete release frees no later lock.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from redis.exceptions import RedisError

from apps.core.redis import get_redis
from apps.runs import dispatch, executor, transitions
from apps.runs.locks import lock_key
from apps.runs.models import Run, RunStatus
from apps.threads.models import ThreadStatus

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


@dataclass
class SweepReport:
    requeued: int = 0
    failed: int = 0
    redispatched: int = 0
    unlocked: int = 0  # leaked thread locks deleted (point 3)


def sweep_runs() -> SweepReport:
    report = SweepReport()
    now = timezone.now()
    for run in Run.objects.filter(status=RunStatus.RUNNING, lease_expires_at__lt=now)[:SWEEP_BATCH]:
        if run.attempt >= settings.RUN_MAX_ATTEMPTS:
            report.failed += _fail_lost_run(run)
        else:
            report.requeued += _requeue_lost_run(run, now)
    report.redispatched, report.unlocked = _redispatch_stale_pending(now)
    if report.requeued or report.failed or report.redispatched:
        logger.warning("sweeper: %s", report)
    return report


def _requeue_lost_run(run: Run, now: datetime.datetime) -> int:
    return int(transitions.requeue_lost_run(run, now))


def _fail_lost_run(run: Run) -> int:
    error = {
        "error": "WorkerLost",
        "message": f"the worker executing this run was lost {run.attempt} times; giving up",
    }
    transitions.finish_run(
        run, executor.RunOutcome(status=RunStatus.ERROR, thread_status=ThreadStatus.ERROR, error=error)
    )
    return 1


def _redispatch_stale_pending(now: datetime.datetime) -> tuple[int, int]:
    """Points 2 and 3: how many runs were dispatched again, how many leaked locks deleted."""
    cutoff = now - datetime.timedelta(seconds=settings.PENDING_REDISPATCH_AFTER_S)
    leak_cutoff = cutoff - datetime.timedelta(seconds=2 * settings.THREAD_LOCK_TTL_S)
    running = Run.objects.filter(thread_id=OuterRef("thread_id"), status=RunStatus.RUNNING)
    stale = (
        Run.objects.filter(status=RunStatus.PENDING)
        # Lost (waited too long), or delayed with after_seconds and now due.
        .filter(Q(created_at__lt=cutoff, not_before__isnull=True) | Q(not_before__lte=now))
        .exclude(Exists(running))
        .order_by("thread_id", "created_at")
        .distinct("thread_id")
        .values_list("run_id", "thread_id", "created_at", "not_before")[:SWEEP_BATCH]
    )
    count = unlocked = 0
    for run_id, thread_id, created_at, not_before in stale:
        if (not_before or created_at) < leak_cutoff:
            unlocked += _delete_leaked_lock(thread_id)
        dispatch.dispatch_run(run_id, thread_id)
        count += 1
    return count, unlocked


def _delete_leaked_lock(thread_id: object) -> int:
    try:
        deleted = get_redis().delete(lock_key(str(thread_id)))
    except RedisError:  # Redis down: nothing is dispatched either; the next sweep tries again
        return 0
    if deleted:
        logger.error("sweeper: deleted the lock of thread %s, held while its due run waited and none ran", thread_id)
    return deleted
