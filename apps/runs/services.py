"""Runs, the API side: create (with the multitask strategy), cancel, read; the admin's operations.

Status transitions are apps.runs.transitions'; execution is apps.runs.worker's.
"""

import datetime
import logging
import uuid
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, Exists, JSONField, OuterRef
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.assistants.models import Assistant
from apps.assistants.services import get_assistant, resolve_assistant, resolve_assistant_id
from apps.auth.custom_auth import auth_filters, current_user, user_to_json
from apps.core.errors import BadRequest, Conflict, NotFound
from apps.core.expressions import JSONBMerge
from apps.core.headers import request_headers
from apps.core.redis import get_redis
from apps.graphs.config import get_config
from apps.runs.cancellation import CancelAction, send_cancel
from apps.runs.dispatch import dispatch_run
from apps.runs.models import IN_FLIGHT_STATUSES, MultitaskStrategy, Run, RunStatus
from apps.runs.streams import stream_key
from apps.runs.transitions import delete_runs_not_running, stop_pending_run
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import authorize_new_thread, get_thread, get_thread_values, lock_thread

logger = logging.getLogger(__name__)

DEFAULT_STREAM_MODES = ["values"]
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
    f"FROM {Assistant._meta.db_table} WHERE assistant_id = %s"
)
ASSISTANT_EXISTS_SQL = f"EXISTS (SELECT 1 FROM {Assistant._meta.db_table} WHERE assistant_id = %s)"


# _mark_busy's UPDATE when no custom-auth filter scopes the threads: the same statement the
# ORM builds below, without building it per run (~15% of the API's CPU per background run,
# py-spy on bench.suite's background runs).
MARK_BUSY_SQL = (
    f"UPDATE {Thread._meta.db_table} SET updated_at = %s, status = %s, "
    f"metadata = metadata || ({ASSISTANT_GRAPH_SQL}) WHERE thread_id = %s AND {ASSISTANT_EXISTS_SQL}"
)


def _mark_busy(thread_id: uuid.UUID, assistant_id: uuid.UUID) -> bool:
    if not auth_filters().get("threads"):
        with connection.cursor() as cursor:
            cursor.execute(MARK_BUSY_SQL, [timezone.now(), ThreadStatus.BUSY, assistant_id, thread_id, assistant_id])
            return cursor.rowcount > 0
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
    if copied := get_config().configurable_headers.copied(request_headers.get()):
        config = dict(kwargs.get("config") or {})
        config["configurable"] = {**(config.get("configurable") or {}), **copied}
        kwargs["config"] = config
    if (user := current_user.get()) is not None:  # for graph factories' ServerRuntime.user, in the worker
        kwargs["auth_user"] = user_to_json(user)
    return kwargs


# ---------------------------------------------------------------- cancellation


def cancel_run(thread_id: uuid.UUID, run_id: uuid.UUID, action: str = CancelAction.INTERRUPT) -> Run:
    """Stop a run: a pending one never starts, a running one is signalled wherever it runs.

    Idempotent: cancelling a finished run does nothing. Raises NotFound.
    """
    with transaction.atomic():
        # Lock the thread so a concurrent claim or create sees a consistent queue.
        lock_thread(thread_id)
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
    if run.status == RunStatus.PENDING and stop_pending_run(run, action):
        return
    # Running (or claimed a moment ago): signal the worker, once our transaction commits.
    transaction.on_commit(lambda: send_cancel(get_redis(), str(run.run_id), action))


# ---------------------------------------------------------------- reads


def get_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    """Raises NotFound."""
    run = Run.objects.filter(pk=run_id, thread_id=thread_id).first()
    if run is None:
        raise NotFound(f"Run {run_id} not found in thread {thread_id}")
    return run


def list_runs(thread_id: uuid.UUID, *, limit: int = 10, offset: int = 0, status: str | None = None) -> list[Run]:
    """Newest first. Raises NotFound for a missing thread."""
    get_thread(thread_id)  # NotFound
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


def run_outcome_from_db(run: Run) -> dict[str, Any]:
    """The end payload for a run whose event stream has already expired."""
    output: Any = {"__error__": run.error} if run.error else get_thread_values(run.thread_id)
    return {"status": run.status, "output": output, "error": run.error}


def has_runs_in_flight() -> Exists:
    """For a Thread queryset: whether the thread has a pending or running run (a subquery,
    so thread retention filters on it in one statement without reaching into runs)."""
    return Exists(Run.objects.filter(thread_id=OuterRef("pk"), status__in=IN_FLIGHT_STATUSES))


def delete_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Delete a finished or pending run. Raises NotFound, Conflict (running)."""
    run = get_run(thread_id, run_id)
    if not delete_runs_not_running(Run.objects.filter(pk=run.pk)):
        raise Conflict(f"Run {run_id} is running; cancel it before deleting it")


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
