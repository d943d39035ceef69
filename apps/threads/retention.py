"""Thread retention: time-to-live and prune.

A thread's TTL (`{"strategy": "delete" | "keep_latest", "ttl": <minutes>}` on
create or update, or langgraph.json's checkpointer.ttl.default_ttl) counts from
its last activity, `updated_at`, which creating, updating and every run bump.

The sweep (beat task `threads.sweep_ttl`, every THREAD_TTL_SWEEP_INTERVAL_S):
1. Reads a batch of candidates: threads with a TTL, expired, not busy.
2. For each, in its own transaction, locks the row and checks again that it is
   expired, not busy and has no pending or running run. create_run marks a
   thread busy with an UPDATE that takes the same row lock, so a run arriving
   meanwhile either sees the thread gone (404) or keeps it (we see it busy).
3. `delete`: the thread, its runs and its checkpoints go (threads.services.delete_thread).
   `keep_latest`: only the latest checkpoint stays; the thread's activity time
   is bumped, so it is not pruned again until it has idled another TTL.
"""

import datetime
import logging
import uuid

from django.db import transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, QuerySet, Value
from django.utils import timezone

from apps.graphs.checkpointer import keep_latest_checkpoint
from apps.graphs.config import get_config
from apps.runs.services import has_runs_in_flight
from apps.threads.models import Thread, ThreadStatus, TTLStrategy
from apps.threads.services import delete_thread

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


# ---------------------------------------------------------------- sweep


def _expired(queryset: QuerySet, now: datetime.datetime) -> QuerySet:
    lifetime = ExpressionWrapper(F("ttl_minutes") * Value(datetime.timedelta(minutes=1)), output_field=DurationField())
    return (
        queryset.filter(ttl_minutes__isnull=False)
        .alias(expires_at=ExpressionWrapper(F("updated_at") + lifetime, output_field=DateTimeField()))
        .filter(expires_at__lt=now)
    )


def _idle(queryset: QuerySet) -> QuerySet:
    return queryset.exclude(status=ThreadStatus.BUSY).exclude(has_runs_in_flight())


def sweep_expired_threads(now: datetime.datetime | None = None) -> int:
    """Apply the TTL strategy to idle threads past their TTL; returns how many were swept."""
    now = now or timezone.now()
    limit = get_config().checkpoint_ttl.sweep_limit or SWEEP_BATCH  # the rest wait for the next sweep
    candidates = list(_idle(_expired(Thread.objects.all(), now)).values_list("pk", flat=True)[:limit])
    swept = sum(_sweep_one(thread_id, now) for thread_id in candidates)
    if swept:
        logger.info("thread TTL sweep: %d of %d expired threads swept", swept, len(candidates))
    return swept


def _sweep_one(thread_id: uuid.UUID, now: datetime.datetime) -> bool:
    with transaction.atomic():
        locked = _idle(_expired(Thread.objects.select_for_update(of=("self",)).filter(pk=thread_id), now))
        thread = locked.first()
        if thread is None:  # touched, taken by a run or deleted since the candidate read
            return False
        return _apply_strategy(thread, thread.ttl_strategy, restart_ttl=True)


def _apply_strategy(thread: Thread, strategy: str, restart_ttl: bool = False) -> bool:
    """Called with the thread row locked (and known idle)."""
    if strategy == TTLStrategy.KEEP_LATEST:
        keep_latest_checkpoint(str(thread.thread_id))
        if restart_ttl:
            Thread.objects.filter(pk=thread.pk).update(updated_at=timezone.now())
    else:
        delete_thread(thread.thread_id)
    return True


# ---------------------------------------------------------------- prune (POST /threads/prune)


def prune_threads(thread_ids: list[uuid.UUID], strategy: str = TTLStrategy.DELETE) -> int:
    """Delete the given threads (with runs and checkpoints), or keep only their latest checkpoint.

    Missing threads and threads with a pending or running run are skipped (a
    run in flight would write to what is being removed). Returns how many
    threads were pruned.
    """
    pruned = 0
    for thread_id in dict.fromkeys(thread_ids):
        with transaction.atomic():
            thread = _idle(Thread.objects.select_for_update(of=("self",)).filter(pk=thread_id)).first()
            if thread is not None:
                pruned += _apply_strategy(thread, strategy)
    return pruned
