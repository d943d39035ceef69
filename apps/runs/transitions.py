"""Every status transition of a run, each one compare-and-set.

The one owner of a run's state machine (as procrastinate's job manager owns its
jobs'), used by the worker, the sweeper, the API services and the admin:

    pending --claim_next_run--> running --finish_run--> success | error | timeout | interrupted
    pending --stop_pending_run--> interrupted (or deleted: rollback)
    running --requeue_run (worker shutdown) / requeue_lost_run (sweeper)--> pending
    running --renew_leases--> running (lease extended)

Each write moves a run only from the status it expects and reports whether it
did ("someone else got there first" otherwise). The end of a run is announced
once, through `hooks.run_finished`.
"""

import datetime
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, JSONField, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from psycopg.types.json import Jsonb
from redis.exceptions import RedisError

from apps.assistants.models import Assistant
from apps.core.redis import get_redis
from apps.runs import dispatch
from apps.runs.cancellation import CancelAction
from apps.runs.executor import RunOutcome
from apps.runs.hooks import run_finished
from apps.runs.models import IN_FLIGHT_STATUSES, Run, RunStatus
from apps.runs.streams import append_end
from apps.threads import services as threads
from apps.threads.models import Thread

logger = logging.getLogger(__name__)

RUNS_TABLE = Run._meta.db_table
THREADS_TABLE = Thread._meta.db_table
ASSISTANTS_TABLE = Assistant._meta.db_table

# ---------------------------------------------------------------- claim

CLAIM_SQL = f"""
WITH claimed AS (
    UPDATE {RUNS_TABLE} SET status = 'running', started_at = now(), updated_at = now(), attempt = attempt + 1,
        lease_expires_at = now() + make_interval(secs => %s)
    WHERE run_id = (
        SELECT run_id FROM {RUNS_TABLE} WHERE thread_id = %s AND status = 'pending'
            AND (not_before IS NULL OR not_before <= now())
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
    ) AND status = 'pending'
    RETURNING *
)
SELECT claimed.*, a.graph_id AS a_graph_id, a.config AS a_config, a.context AS a_context,
    -- Commit without waiting for the WAL flush (~3 ms, bench/HISTORY.md): a claim lost to a PostgreSQL
    -- crash only puts the run back to pending; the terminal status is a synchronous commit.
    set_config('synchronous_commit', 'off', true) AS async_commit,
    EXISTS (
        SELECT 1 FROM {RUNS_TABLE} r
        WHERE r.thread_id = claimed.thread_id AND r.status = 'pending' AND r.run_id <> claimed.run_id
    ) AS has_more
FROM claimed JOIN {ASSISTANTS_TABLE} a ON a.assistant_id = claimed.assistant_id
"""

RUN_FIELDS = Run._meta.concrete_fields
RUN_ATTNAMES = [field.attname for field in RUN_FIELDS]


def claim_next_run(thread_id: str) -> Run | None:
    """pending -> running: the thread's oldest due pending run, in one statement; None if none.

    The returned run carries its assistant and `has_more` (other runs pending).
    """
    try:
        # Autocommit: the single statement is its own transaction.
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_SQL, [settings.RUN_LEASE_S, thread_id])
            row = cursor.fetchone()
            columns = [column.name for column in cursor.description or ()]
    except IntegrityError:
        return None  # one_running_run_per_thread: another worker runs this thread
    if row is None:
        return None
    claimed = dict(zip(columns, row, strict=True))
    # A plain cursor and from_db: RawQuerySet's per-row column mapping cost ~0.3 ms per claim.
    run = Run.from_db(connection.alias, RUN_ATTNAMES, [_db_value(field, claimed) for field in RUN_FIELDS])
    run.has_more = claimed["has_more"]
    run.async_commit = claimed["async_commit"]  # how the claim committed ("off": without the WAL flush)
    run.assistant = Assistant(
        assistant_id=run.assistant_id,
        graph_id=claimed["a_graph_id"],
        config=_json_column(claimed["a_config"]),
        context=_json_column(claimed["a_context"]),
    )
    return run


def _db_value(field: Any, row: dict[str, Any]) -> Any:
    value = row[field.column]
    return _json_column(value) if isinstance(field, JSONField) else value


def _json_column(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def renew_leases(run_ids: Iterable[uuid.UUID]) -> None:
    """running -> running: extend the leases of runs this process executes (its heartbeat)."""
    lease = datetime.timedelta(seconds=settings.RUN_LEASE_S)
    Run.objects.filter(run_id__in=list(run_ids), status=RunStatus.RUNNING).update(lease_expires_at=Now() + lease)


# ---------------------------------------------------------------- finish

# The one statement that writes both the run and its thread: a run's end costs one
# round trip and one synchronous commit (the hot path of every run). Thread status
# is the threads app's otherwise (apps.threads.services); this is its only other writer.
FINISH_SQL = f"""
WITH finished AS (
    UPDATE {RUNS_TABLE} SET status = %(status)s, error = %(error)s, traceback = %(traceback)s,
        ended_at = now(), updated_at = now(),
        lease_expires_at = NULL
    WHERE run_id = %(run_id)s AND status = 'running'
    RETURNING thread_id
)
UPDATE {THREADS_TABLE} SET
    updated_at = now(),
    values = CASE WHEN %(has_values)s THEN %(values)s ELSE values END,
    interrupts = CASE WHEN %(has_values)s THEN %(interrupts)s ELSE interrupts END,
    state_updated_at = CASE WHEN %(has_values)s THEN now() ELSE state_updated_at END,
    error = %(error)s,
    -- as upstream: a thread that has run shows the configurable its runs share
    config = CASE WHEN config ? 'configurable' THEN config ELSE config || '{{"configurable": {{}}}}' END,
    -- a thread with queued runs stays busy
    status = CASE WHEN EXISTS (
        SELECT 1 FROM {RUNS_TABLE} WHERE thread_id = %(thread_id)s AND status = 'pending'
    ) THEN 'busy' ELSE %(thread_status)s END
WHERE thread_id = %(thread_id)s AND EXISTS (SELECT 1 FROM finished)
"""


def finish_run(run: Run, outcome: RunOutcome) -> bool:
    """running -> terminal: record the status (run and thread in one statement), close the event
    stream, announce the end; a temporary thread then goes. True if this call recorded it.

    The stream's end entry is written after the commit, so whoever wakes on it
    reads the final status from PostgreSQL.
    """
    params = {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "status": outcome.status,
        "error": Jsonb(outcome.error) if outcome.error is not None else None,
        "traceback": outcome.traceback,
        # A failed run still shows the state it reached, when the executor could read it.
        "has_values": outcome.error is None or outcome.values is not None,
        "values": Jsonb(outcome.values),
        "interrupts": Jsonb(outcome.interrupts),
        "thread_status": outcome.thread_status,
    }
    with connection.cursor() as cursor:
        cursor.execute(FINISH_SQL, params)
        recorded = cursor.rowcount > 0  # 0: the run was not running (finished by someone else)
    end = {"status": outcome.status, "output": outcome.output(), "error": outcome.error}
    if outcome.cancelled_with is not None:
        end["cancelled_with"] = outcome.cancelled_with
    try:
        append_end(get_redis(), str(run.run_id), end)
    except RedisError:  # waiters fall back to PostgreSQL once their stream is gone
        logger.warning("could not close the event stream of run %s: Redis unavailable", run.run_id)
    if recorded:
        run_finished.send(Run, run=run, status=outcome.status, values=outcome.values, error=outcome.error)
    if run.kwargs.get("temporary"):
        threads.delete_thread(run.thread_id, missing_ok=True)
    return recorded


def delete_rolled_back_run(run: Run) -> None:
    """interrupted -> gone: a run cancelled with rollback leaves no trace."""
    Run.objects.filter(pk=run.pk).delete()


def delete_runs_not_running(queryset: QuerySet) -> int:
    """pending | terminal -> gone: a running run is never deleted under its worker (cancel it first)."""
    return queryset.exclude(status=RunStatus.RUNNING).delete()[0]


# ---------------------------------------------------------------- back to pending


def requeue_run(run: Run, count_attempt: bool = False, delay_s: float = 0) -> bool:
    """running -> pending: a run this worker gives up, dispatched again after `delay_s`. At
    shutdown the attempt does not count; after an outage it does (apps.runs.worker bounds those)."""
    attempt = F("attempt") if count_attempt else F("attempt") - 1
    moved = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.PENDING, attempt=attempt, lease_expires_at=None, updated_at=timezone.now()
    )
    if moved:
        dispatch.dispatch_run(run.run_id, run.thread_id, delay_s)
    return bool(moved)


def requeue_lost_run(run: Run, now: datetime.datetime) -> bool:
    """running -> pending: a run whose lease lapsed (its worker is gone), only if it still has."""
    moved = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING, lease_expires_at__lt=now).update(
        status=RunStatus.PENDING, lease_expires_at=None, updated_at=now
    )
    if moved:
        dispatch.dispatch_run(run.run_id, run.thread_id)
    return bool(moved)


# ---------------------------------------------------------------- stop before start


def stop_pending_run(run: Run, action: CancelAction) -> bool:
    """pending -> interrupted (or deleted, for rollback): a run that never started.

    Called inside the canceller's transaction with the thread row locked. False if
    a worker claimed it meanwhile (the caller then signals the running run).
    """
    queryset = Run.objects.filter(pk=run.pk, status=RunStatus.PENDING)
    if action == CancelAction.ROLLBACK:
        stopped = queryset.delete()[0] > 0
    else:
        now = timezone.now()
        stopped = queryset.update(status=RunStatus.INTERRUPTED, ended_at=now, updated_at=now) > 0
    if not stopped:
        return False
    if not Run.objects.filter(thread_id=run.thread_id, status__in=IN_FLIGHT_STATUSES).exists():
        threads.mark_thread_idle(run.thread_id)
    values = threads.get_thread_values(run.thread_id)
    payload = {"status": RunStatus.INTERRUPTED, "output": values, "error": None, "cancelled_with": action}
    # Announced on the thread's stream too: its followers never saw this run start.
    transaction.on_commit(lambda: append_end(get_redis(), str(run.run_id), payload, announce_on=str(run.thread_id)))
    run_finished.send(Run, run=run, status=RunStatus.INTERRUPTED, values=values, error=None)
    return True
