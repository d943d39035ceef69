"""Runs: creation (with the multitask strategy), execution hand-off, completion.

Every run status transition happens here, with compare-and-set updates.
"""

import datetime
import json
import logging
import threading
import traceback
import uuid
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, F, JSONField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from kombu.exceptions import OperationalError
from psycopg.types.json import Jsonb
from redis.exceptions import RedisError

from apps.assistants.models import Assistant
from apps.assistants.services import get_assistant, resolve_assistant, resolve_assistant_id
from apps.auth.custom_auth import current_user, user_to_json
from apps.core.dbpools import check_idle_connections
from apps.core.errors import BadRequest, Conflict, NotFound
from apps.core.expressions import JSONBMerge
from apps.core.failures import is_transient
from apps.core.logcontext import run_context
from apps.core.redis import get_redis
from apps.graphs.checkpointer import delete_run_checkpoints, get_sync_checkpointer
from apps.runs import executor, webhooks
from apps.runs.lockkeeper import lock_keeper
from apps.runs.locks import ThreadLock, wake_holder
from apps.runs.models import IN_FLIGHT_STATUSES, MultitaskStrategy, Run, RunStatus
from apps.runs.signals import clear_cancel, send_cancel
from apps.runs.streams import append_end, stream_key
from apps.runs.worker_loop import run_loop
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import authorize_new_thread

logger = logging.getLogger(__name__)

DEFAULT_STREAM_MODES = ["values"]
# Pause before retrying a run that an outage interrupted, doubled per attempt, capped; and how
# many executions such retries may add to RUN_MAX_ATTEMPTS (1+2+4+8+16 s: a minute-long outage),
# so that the pools' reconnection after an outage cannot use up the budget for lost workers.
OUTAGE_RETRY_DELAY_S = 1.0
OUTAGE_RETRY_MAX_DELAY_S = 30.0
OUTAGE_EXTRA_ATTEMPTS = 5
# Set when this worker process received SIGTERM: it claims no more runs.
_shutting_down = False
# Keys of the request body kept on the run (what the executor needs, and what
# upstream shows in `kwargs`).
RUN_KWARGS = (
    "input",
    "command",
    "config",
    "context",
    "stream_mode",
    "stream_subgraphs",
    "stream_resumable",
    "interrupt_before",
    "interrupt_after",
    "checkpoint",
    "checkpoint_id",
    "durability",
    "on_completion",
    "webhook",
)


# ---------------------------------------------------------------- creation


def create_run(payload: dict[str, Any], thread_id: uuid.UUID | None = None) -> Run:
    """Insert a run (stateful when thread_id is given, else on a temporary thread).

    Decided under a row lock on the thread (taken by the UPDATE that marks it
    busy), so two concurrent requests cannot both see an idle thread.
    Dispatches the execution task after commit.
    Raises NotFound (assistant, thread), Conflict (reject strategy).
    """
    assistant_id = resolve_assistant_id(payload["assistant_id"])
    if payload.get("context") and (payload.get("config") or {}).get("configurable"):
        raise BadRequest(
            "Cannot specify both configurable and context. Prefer setting context alone. Context was "
            "introduced in LangGraph 0.6.0 and is the long term planned replacement for configurable."
        )
    strategy = payload.get("multitask_strategy") or MultitaskStrategy.ENQUEUE
    with transaction.atomic():
        if thread_id is None:
            thread_id = _create_temporary_thread(payload, get_assistant(assistant_id))
        else:
            create = payload.get("if_not_exists") == "create"
            _take_thread(thread_id, assistant_id, create=create, metadata=payload.get("metadata"))
        _apply_multitask_strategy(thread_id, strategy)
        delay_s = payload.get("after_seconds") or 0
        run = Run.objects.create(
            thread_id=thread_id,
            assistant_id=assistant_id,
            metadata=payload.get("metadata") or {},
            kwargs=_run_kwargs(payload, temporary=payload.get("temporary", False)),
            multitask_strategy=strategy,
            not_before=timezone.now() + datetime.timedelta(seconds=delay_s) if delay_s else None,
        )
        transaction.on_commit(lambda: dispatch_run(run.run_id, run.thread_id, delay_s))
    return run


def create_runs(payloads: list[dict[str, Any]]) -> list[Run]:
    """Stateless runs in one transaction: if one cannot be created, none is."""
    with transaction.atomic():
        return [create_run(payload) for payload in payloads]


def _thread_metadata(assistant: Assistant) -> dict[str, str]:
    """What a thread remembers of its graph (state reads need the graph)."""
    return {"graph_id": assistant.graph_id, "assistant_id": str(assistant.assistant_id)}


def _create_temporary_thread(payload: dict[str, Any], assistant: Assistant) -> uuid.UUID:
    keep = payload.get("on_completion") == "keep"
    payload["temporary"] = not keep
    # The thread carries the run's metadata too, so auth filters that see the run see its thread.
    metadata = {**(payload.get("metadata") or {}), **_thread_metadata(assistant)}
    thread = Thread.objects.create(is_temporary=not keep, status=ThreadStatus.BUSY, metadata=metadata)
    return thread.thread_id


def _take_thread(thread_id: uuid.UUID, assistant_id: uuid.UUID, create: bool, metadata: dict | None = None) -> None:
    """Mark the thread busy (which row-locks it until commit) for the assistant's graph;
    create it if asked (`if_not_exists="create"`), authorized as `POST /threads` is.
    Raises NotFound, Forbidden.

    One UPDATE also proves the assistant exists (its graph id is a subquery), and
    the thread's scoped manager keeps it to threads the request's user may see:
    a thread that exists but is someone else's is NotFound, never created over
    nor taken. A thread created here carries the run's metadata, as upstream's
    does, plus what the handler of `POST /threads` stamps (its owner).
    """
    if _mark_busy(thread_id, assistant_id):
        return
    assistant = get_assistant(assistant_id)  # NotFound names the assistant first, as before
    missing = NotFound(f"Thread with ID {thread_id} not found")
    if not create:
        raise missing
    metadata = authorize_new_thread(thread_id, metadata)
    try:
        with transaction.atomic():
            Thread.objects.create(
                thread_id=thread_id, status=ThreadStatus.BUSY, metadata={**metadata, **_thread_metadata(assistant)}
            )
    except IntegrityError:
        # The id is taken: by a concurrent request of this user (take that thread),
        # or by a thread this user may not see (the UPDATE finds nothing: 404).
        if not _mark_busy(thread_id, assistant_id):
            raise missing from None


# The assistant's graph for the thread's metadata, and the proof that the assistant exists.
ASSISTANT_GRAPH_SQL = (
    "SELECT jsonb_build_object('graph_id', graph_id, 'assistant_id', assistant_id::text) "
    "FROM assistants_assistant WHERE assistant_id = %s"
)
ASSISTANT_EXISTS_SQL = "EXISTS (SELECT 1 FROM assistants_assistant WHERE assistant_id = %s)"


def _mark_busy(thread_id: uuid.UUID, assistant_id: uuid.UUID) -> bool:
    graph = RawSQL(ASSISTANT_GRAPH_SQL, [assistant_id], output_field=JSONField())
    exists = RawSQL(ASSISTANT_EXISTS_SQL, [assistant_id], output_field=BooleanField())
    updated = Thread.objects.filter(exists, pk=thread_id).update(
        updated_at=timezone.now(), status=ThreadStatus.BUSY, metadata=JSONBMerge("metadata", graph)
    )
    return bool(updated)


def _apply_multitask_strategy(thread_id: uuid.UUID, strategy: str) -> None:
    """Called with the thread row locked: act on the runs already in flight."""
    if strategy == MultitaskStrategy.ENQUEUE:
        return
    in_flight = list(Run.objects.filter(thread_id=thread_id, status__in=IN_FLIGHT_STATUSES).order_by("created_at"))
    if not in_flight:
        return
    if strategy == MultitaskStrategy.REJECT:
        raise Conflict(
            f"Thread {thread_id} is already running a task. Wait for it to finish "
            "or choose a different multitask strategy."
        )
    action = CancelAction.ROLLBACK if strategy == MultitaskStrategy.ROLLBACK else CancelAction.INTERRUPT
    for run in in_flight:
        _stop_run(run, action)


def _run_kwargs(payload: dict[str, Any], temporary: bool) -> dict[str, Any]:
    kwargs = {key: payload.get(key) for key in RUN_KWARGS}
    kwargs["stream_mode"] = payload.get("stream_mode") or list(DEFAULT_STREAM_MODES)
    kwargs["temporary"] = temporary
    if (user := current_user.get()) is not None:  # for graph factories' ServerRuntime.user, in the worker
        kwargs["auth_user"] = user_to_json(user)
    return kwargs


def dispatch_run(run_id: uuid.UUID, thread_id: uuid.UUID, delay_s: float = 0) -> None:
    """Send the execution task, unless a worker holding the thread's lock will run it
    (see `wake_holder`). If the broker is down the run stays pending in PostgreSQL
    and the sweeper dispatches it once Redis is back.

    A delayed run (after_seconds) is sent with a countdown when the delay is
    short; a long one is left to the sweeper, which dispatches runs once due
    (a broker holding hour-long countdowns would redeliver them past its
    visibility timeout, and a worker would hold them all in memory).
    """
    from apps.runs.tasks import execute_run

    if delay_s > settings.DELAYED_DISPATCH_MAX_S:
        return
    try:
        if not delay_s and wake_holder(get_redis(), str(thread_id)):
            return
        execute_run.apply_async(args=[str(run_id), str(thread_id)], countdown=delay_s or None, retry=False)
    except (RedisError, OperationalError) as exc:
        logger.warning("could not dispatch run %s (%s); the sweeper will", run_id, exc)


# ---------------------------------------------------------------- cancellation


class CancelAction(StrEnum):
    INTERRUPT = "interrupt"  # stop; keep the checkpoints it wrote
    ROLLBACK = "rollback"  # stop; delete the run and every checkpoint it wrote


def cancel_run(thread_id: uuid.UUID, run_id: uuid.UUID, action: str = CancelAction.INTERRUPT) -> Run:
    """Stop a run: a pending one never starts, a running one is signalled wherever it runs.

    Idempotent: cancelling a finished run does nothing. Raises NotFound.
    """
    with transaction.atomic():
        # Lock the thread so a concurrent claim or create sees a consistent queue.
        Thread.objects.select_for_update().filter(pk=thread_id).first()
        run = get_run(thread_id, run_id)
        _stop_run(run, CancelAction(action))
    return run


def cancel_abandoned_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """on_disconnect="cancel": the client that asked for the run hung up before it ended."""
    try:
        run = cancel_run(thread_id, run_id)
    except NotFound:  # a temporary thread already gone with its run
        return
    if run.status in IN_FLIGHT_STATUSES:
        logger.info("run %s cancelled: its client disconnected", run_id)


def cancel_runs(
    *, action: str = CancelAction.INTERRUPT, status: str | None = None, thread_id=None, run_ids=None
) -> int:
    """Bulk cancel: every run in a status (`pending`, `running`, `all`), or given runs of a thread."""
    if status is not None:
        statuses = IN_FLIGHT_STATUSES if status == "all" else {status}
        targets = list(Run.objects.filter(status__in=statuses).values_list("thread_id", "run_id"))
    else:
        targets = list(Run.objects.filter(thread_id=thread_id, run_id__in=run_ids).values_list("thread_id", "run_id"))
        if len(targets) != len(set(run_ids)):
            raise NotFound(f"Some of the runs were not found in thread {thread_id}")
    for target_thread, target_run in targets:
        cancel_run(target_thread, target_run, action)
    return len(targets)


def _stop_run(run: Run, action: CancelAction) -> None:
    if run.is_terminal:
        return
    if run.status == RunStatus.PENDING and _stop_pending(run, action):
        return
    # Running (or claimed a moment ago): signal the worker, once our transaction commits.
    transaction.on_commit(lambda: send_cancel(get_redis(), str(run.run_id), action))


def _stop_pending(run: Run, action: CancelAction) -> bool:
    """Finish a run that has not started; False if a worker claimed it meanwhile."""
    queryset = Run.objects.filter(pk=run.pk, status=RunStatus.PENDING)
    if action == CancelAction.ROLLBACK:
        stopped = queryset.delete()[0] > 0
    else:
        now = timezone.now()
        stopped = queryset.update(status=RunStatus.INTERRUPTED, ended_at=now, updated_at=now) > 0
    if stopped:
        _settle_thread_status(run.thread_id)
        values = Thread.objects.filter(pk=run.thread_id).values_list("values", flat=True).first()
        payload = {"status": RunStatus.INTERRUPTED, "output": values, "error": None, "cancelled_with": action}
        transaction.on_commit(lambda: append_end(get_redis(), str(run.run_id), payload, announce_on=str(run.thread_id)))
        webhooks.enqueue_for_run(run, RunStatus.INTERRUPTED, values)
    return stopped


def _settle_thread_status(thread_id: uuid.UUID) -> None:
    """A busy thread with nothing left in flight goes back to idle."""
    if not Run.objects.filter(thread_id=thread_id, status__in=IN_FLIGHT_STATUSES).exists():
        Thread.objects.filter(pk=thread_id, status=ThreadStatus.BUSY).update(status=ThreadStatus.IDLE)


# ---------------------------------------------------------------- reads


def get_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    """Raises NotFound."""
    run = Run.objects.filter(pk=run_id, thread_id=thread_id).first()
    if run is None:
        raise NotFound(f"Run {run_id} not found in thread {thread_id}")
    return run


def list_runs(thread_id: uuid.UUID, *, limit: int = 10, offset: int = 0, status: str | None = None) -> list[Run]:
    """Newest first. Raises NotFound for a missing thread."""
    if not Thread.objects.filter(pk=thread_id).exists():
        raise NotFound(f"Thread with ID {thread_id} not found")
    queryset = Run.objects.filter(thread_id=thread_id).order_by("-created_at")
    if status:
        queryset = queryset.filter(status=status)
    return list(queryset[offset : offset + limit])


def search_runs(
    *,
    metadata: dict | None = None,
    status: str | None = None,
    assistant_id: str | None = None,
    thread_id: uuid.UUID | None = None,
    limit: int = 10,
    offset: int = 0,
) -> list[Run]:
    """Runs across threads, newest first (not in upstream; the seed tutorial uses it for crons)."""
    queryset = Run.objects.order_by("-created_at")
    if metadata:
        queryset = queryset.filter(metadata__contains=metadata)
    if status:
        queryset = queryset.filter(status=status)
    if assistant_id:
        queryset = queryset.filter(assistant_id=resolve_assistant(assistant_id).assistant_id)
    if thread_id:
        queryset = queryset.filter(thread_id=thread_id)
    return list(queryset[offset : offset + limit])


def delete_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Delete a finished or pending run. Raises NotFound, Conflict (running)."""
    run = get_run(thread_id, run_id)
    deleted, _ = Run.objects.filter(pk=run.pk).exclude(status=RunStatus.RUNNING).delete()
    if not deleted:
        raise Conflict(f"Run {run_id} is running; cancel it before deleting it")


# ---------------------------------------------------------------- execution (worker side)


def execute_thread_runs(run_id: str, thread_id: str) -> None:
    """Execute the thread's pending runs, oldest first, while holding its lock.

    1. Take the per-thread lock (which clears the thread's wake flag). If another
       worker holds it, raise the wake flag and try once more: either we get the
       lock now, or the holder still had it after the flag went up and will see
       the flag at release (step 3). No worker slot ever waits for a busy thread.
    2. Claim the oldest pending run (one compare-and-set UPDATE), execute it,
       record its outcome; claim again while the claim saw more pending runs.
       A duplicate delivery claims nothing.
    3. Release the lock and read-and-clear the wake flag in one Lua call. If a
       run arrived meanwhile, take the lock again and go back to 2; failing
       that, whoever took it claims the run.
    """
    lock = ThreadLock(get_redis(), thread_id)
    if not lock.acquire():
        lock.raise_wake_flag()
        if not lock.acquire():
            return
    while True:
        woken = _claim_and_execute_while_holding(lock, thread_id)
        if not woken or _shutting_down or not lock.acquire():
            break
    if _shutting_down:  # what this worker no longer claims goes to another one
        _dispatch_leftover(thread_id)


def _claim_and_execute_while_holding(lock: ThreadLock, thread_id: str) -> bool:
    """Step 2 of execute_thread_runs, then release; True if the wake flag was up at release."""
    lock_keeper.hold(lock)
    try:
        while not _shutting_down and (run := claim_next_run(thread_id)) is not None:
            lock_keeper.hold_run(run.run_id)
            try:
                _execute_claimed(run)
            finally:
                lock_keeper.drop_run(run.run_id)
            if not run.has_more:
                break
    finally:
        lock_keeper.drop(lock)
        woken = _release(lock)
    return woken


def _release(lock: ThreadLock) -> bool:
    try:
        return lock.release_and_take_wake_flag()
    except RedisError:  # the lock expires by itself; the sweeper covers what the flag would have said
        logger.warning("could not release %s: Redis unavailable", lock.key)
        return False


CLAIM_SQL = """
WITH claimed AS (
    UPDATE runs_run SET status = 'running', started_at = now(), updated_at = now(), attempt = attempt + 1,
        lease_expires_at = now() + make_interval(secs => %s)
    WHERE run_id = (
        SELECT run_id FROM runs_run WHERE thread_id = %s AND status = 'pending'
            AND (not_before IS NULL OR not_before <= now())
        ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED
    ) AND status = 'pending'
    RETURNING *
)
SELECT claimed.*, a.graph_id AS a_graph_id, a.config AS a_config, a.context AS a_context,
    -- Commit without waiting for the WAL flush (~3 ms here): a claim lost to a PostgreSQL
    -- crash only puts the run back to pending; the terminal status is a synchronous commit.
    set_config('synchronous_commit', 'off', true) AS async_commit,
    EXISTS (
        SELECT 1 FROM runs_run r
        WHERE r.thread_id = claimed.thread_id AND r.status = 'pending' AND r.run_id <> claimed.run_id
    ) AS has_more
FROM claimed JOIN assistants_assistant a ON a.assistant_id = claimed.assistant_id
"""


def claim_next_run(thread_id: str) -> Run | None:
    """Move the thread's oldest pending run to running in one statement; None if none is pending.

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


RUN_FIELDS = Run._meta.concrete_fields
RUN_ATTNAMES = [field.attname for field in RUN_FIELDS]


def _db_value(field: Any, row: dict[str, Any]) -> Any:
    value = row[field.column]
    return _json_column(value) if isinstance(field, JSONField) else value


def _json_column(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _execute_claimed(run: Run) -> None:
    with run_context(str(run.run_id), str(run.thread_id)):
        _execute_claimed_in_context(run)


def _execute_claimed_in_context(run: Run) -> None:
    spec = build_run_spec(run)
    try:
        outcome = run_loop.run(executor.execute_cancellable(spec))
        if outcome.cancelled_with == "requeue":
            _requeue(run)
            return
        if outcome.cancelled_with is not None:
            outcome = _settle_cancelled(run, spec, outcome)
        finish_run(run, outcome)
    except Exception as exc:  # the executor reports graph errors itself; this is infrastructure
        if is_transient(exc):
            _retry_after_outage(run, exc)
            return
        # Not going away by retrying (e.g. a value PostgreSQL cannot store): the run ends now, saying why.
        logger.exception("run %s could not execute", run.run_id)
        outcome = _failed(exc)
        finish_run(run, outcome)
    if outcome.cancelled_with == CancelAction.ROLLBACK:
        Run.objects.filter(pk=run.pk).delete()
    if outcome.cancelled_with is not None:
        clear_cancel(get_redis(), str(run.run_id))


def _failed(exc: BaseException, note: str = "") -> executor.RunOutcome:
    error = executor.error_info(exc)
    if note:
        error["message"] = f"{error['message']} ({note})"
    return executor.RunOutcome(
        status=RunStatus.ERROR, thread_status=ThreadStatus.ERROR, error=error, traceback=traceback.format_exc()
    )


def _retry_after_outage(run: Run, exc: BaseException) -> None:
    """PostgreSQL or Redis failed under the run (apps.core.failures): back to pending, dispatched
    again after a pause that doubles with each attempt; the next attempt resumes from the run's
    last checkpoint (or records the outcome of a graph that had finished). After RUN_MAX_ATTEMPTS
    + OUTAGE_EXTRA_ATTEMPTS executions the run ends `error` with this failure. If PostgreSQL is
    still down, the run's lease lapses and the sweeper retries it instead.
    """
    check_idle_connections()
    run.has_more = False  # claim no further run of this thread now: they stay behind this one
    try:
        if run.attempt >= settings.RUN_MAX_ATTEMPTS + OUTAGE_EXTRA_ATTEMPTS:
            finish_run(run, _failed(exc, f"gave up after {run.attempt} attempts"))
            return
        moved = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.PENDING, lease_expires_at=None, updated_at=timezone.now()
        )
    except Exception as again:
        if not is_transient(again):
            raise
        logger.warning("run %s: %s; left to the sweeper (%s)", run.run_id, exc, again)
        return
    if moved:
        delay_s = min(OUTAGE_RETRY_DELAY_S * 2 ** (run.attempt - 1), OUTAGE_RETRY_MAX_DELAY_S)
        logger.warning("run %s: %s: %s; retrying in %.0f s", run.run_id, type(exc).__name__, exc, delay_s)
        dispatch_run(run.run_id, run.thread_id, delay_s=delay_s)


def _requeue(run: Run) -> None:
    """Put a run this worker is giving up (shutdown) back in the queue; the attempt does not count."""
    moved = Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.PENDING, attempt=F("attempt") - 1, lease_expires_at=None, updated_at=timezone.now()
    )
    if moved:
        dispatch_run(run.run_id, run.thread_id)


def begin_worker_shutdown() -> None:
    """SIGTERM: stop claiming; in-flight runs get WORKER_SHUTDOWN_GRACE_S to finish, then are requeued."""
    global _shutting_down
    _shutting_down = True

    def requeue_the_rest() -> None:
        from apps.runs.signals import requeue_running_runs

        stopped = run_loop.run(requeue_running_runs())
        if stopped:
            logger.warning("worker shutdown: requeued %d unfinished runs", stopped)

    timer = threading.Timer(settings.WORKER_SHUTDOWN_GRACE_S, requeue_the_rest)
    timer.daemon = True
    timer.start()


def _settle_cancelled(run: Run, spec: executor.RunSpec, outcome: executor.RunOutcome) -> executor.RunOutcome:
    """After a stop signal: for rollback drop the run's checkpoints; record the state it leaves."""
    if outcome.cancelled_with == CancelAction.ROLLBACK:
        delete_run_checkpoints(str(run.thread_id), str(run.run_id))
    return run_loop.run(executor.state_after_cancel(spec, outcome))


def build_run_spec(run: Run) -> executor.RunSpec:
    kwargs = run.kwargs
    assistant = run.assistant
    return executor.RunSpec(
        run_id=str(run.run_id),
        thread_id=str(run.thread_id),
        graph_id=assistant.graph_id,
        config=_graph_config(run, assistant),
        context=_run_context(run, assistant),
        user=kwargs.get("auth_user"),
        input=kwargs.get("input"),
        command=kwargs.get("command"),
        stream_modes=kwargs.get("stream_mode") or list(DEFAULT_STREAM_MODES),
        subgraphs=bool(kwargs.get("stream_subgraphs")),
        interrupt_before=kwargs.get("interrupt_before"),
        interrupt_after=kwargs.get("interrupt_after"),
        durability=kwargs.get("durability"),
        attempt=run.attempt,
    )


def _run_context(run: Run, assistant: Assistant) -> dict[str, Any]:
    """As upstream: the assistant's context updated by the run's; without either, the
    configurable the run was given (what graphs read before `context` existed). The
    executor keeps the keys the graph's context schema declares."""
    context = {**(assistant.context or {}), **(run.kwargs.get("context") or {})}
    if context:
        return context
    return {
        **(assistant.config or {}).get("configurable", {}),
        **(run.kwargs.get("config") or {}).get("configurable", {}),
    }


def _graph_config(run: Run, assistant: Assistant) -> dict[str, Any]:
    assistant_config = assistant.config or {}
    run_config = run.kwargs.get("config") or {}
    configurable = {
        **assistant_config.get("configurable", {}),
        **run_config.get("configurable", {}),
        "thread_id": str(run.thread_id),
        "run_id": str(run.run_id),
        "assistant_id": str(assistant.assistant_id),
        "graph_id": assistant.graph_id,
    }
    checkpoint = run.kwargs.get("checkpoint") or {}
    checkpoint_id = run.kwargs.get("checkpoint_id") or checkpoint.get("checkpoint_id")
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    if checkpoint.get("checkpoint_ns"):
        configurable["checkpoint_ns"] = checkpoint["checkpoint_ns"]
    config = {**assistant_config, **run_config, "configurable": configurable}
    config["metadata"] = {
        **assistant_config.get("metadata", {}),
        **run_config.get("metadata", {}),
        **run.metadata,
        "run_id": str(run.run_id),
        "thread_id": str(run.thread_id),
        "assistant_id": str(assistant.assistant_id),
        "graph_id": assistant.graph_id,
    }
    return config


FINISH_SQL = """
WITH finished AS (
    UPDATE runs_run SET status = %(status)s, error = %(error)s, traceback = %(traceback)s,
        ended_at = now(), updated_at = now(),
        lease_expires_at = NULL
    WHERE run_id = %(run_id)s AND status = 'running'
    RETURNING thread_id
)
UPDATE threads_thread SET
    updated_at = now(),
    values = CASE WHEN %(has_values)s THEN %(values)s ELSE values END,
    interrupts = CASE WHEN %(has_values)s THEN %(interrupts)s ELSE interrupts END,
    state_updated_at = CASE WHEN %(has_values)s THEN now() ELSE state_updated_at END,
    error = %(error)s,
    -- as upstream: a thread that has run shows the configurable its runs share
    config = CASE WHEN config ? 'configurable' THEN config ELSE config || '{"configurable": {}}' END,
    -- a thread with queued runs stays busy
    status = CASE WHEN EXISTS (
        SELECT 1 FROM runs_run WHERE thread_id = %(thread_id)s AND status = 'pending'
    ) THEN 'busy' ELSE %(thread_status)s END
WHERE thread_id = %(thread_id)s AND EXISTS (SELECT 1 FROM finished)
"""


def finish_run(run: Run, outcome: executor.RunOutcome) -> None:
    """Record the terminal status (run and thread in one statement), then close the event stream.

    Only a running run is finished (compare-and-set). The stream's end entry
    is written after the commit, so whoever wakes on it reads the final
    status from PostgreSQL.
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
    if cron_id := run.metadata.get("cron_id"):
        from apps.crons.history import record_cron_run
        from apps.crons.services import record_run_outcome

        record_run_outcome(cron_id, succeeded=outcome.status == RunStatus.SUCCESS)
        # Before the temporary thread (and the run with it) is deleted below.
        record_cron_run(run)
    if recorded:
        webhooks.on_run_finished(run, outcome)
    if run.kwargs.get("temporary"):
        _delete_temporary_thread(run.thread_id)


def _delete_temporary_thread(thread_id: uuid.UUID) -> None:
    Thread.objects.filter(pk=thread_id).delete()
    get_sync_checkpointer().delete_thread(str(thread_id))


def _dispatch_leftover(thread_id: str) -> None:
    leftover = (
        Run.objects.filter(thread_id=thread_id, status=RunStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if leftover is not None:
        dispatch_run(leftover, thread_id)


def run_outcome_from_db(run: Run) -> dict[str, Any]:
    """The end payload for a run whose event stream has already expired."""
    thread = Thread.objects.filter(pk=run.thread_id).first()
    output: Any = {"__error__": run.error} if run.error else (thread.values if thread else None)
    return {"status": run.status, "output": output, "error": run.error}


# ---------------------------------------------------------------- operations (admin)


def rerun_run(run: Run) -> Run:
    """Create a new run with the same assistant, thread and request as `run` (e.g. one that failed)."""
    payload = {key: value for key, value in run.kwargs.items() if key in RUN_KWARGS and value is not None}
    payload["assistant_id"] = str(run.assistant_id)
    payload["metadata"] = {**run.metadata, "rerun_of": str(run.run_id)}
    return create_run(payload, run.thread_id)


def recent_events(run_id: uuid.UUID, limit: int = 200) -> list[dict[str, Any]]:
    """The run's stream events while Redis keeps them (RUN_STREAM_TTL_S after the run)."""
    entries = get_redis().xrange(stream_key(str(run_id)), count=limit)
    return [{"id": raw_id.decode(), "event": f[b"e"].decode(), "data": f[b"d"].decode()} for raw_id, f in entries]
