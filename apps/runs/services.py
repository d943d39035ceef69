"""Runs: creation (with the multitask strategy), execution hand-off, completion.

Every run status transition happens here, with compare-and-set updates.
"""

import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.assistants.models import Assistant
from apps.assistants.services import resolve_assistant
from apps.core.errors import Conflict, NotFound
from apps.core.redis import get_redis
from apps.graphs.checkpointer import get_sync_checkpointer
from apps.runs import executor
from apps.runs.lockkeeper import lock_keeper
from apps.runs.locks import ThreadLock
from apps.runs.models import IN_FLIGHT_STATUSES, MultitaskStrategy, Run, RunStatus
from apps.runs.streams import append_end
from apps.runs.worker_loop import run_loop
from apps.threads.models import Thread, ThreadStatus

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
)


# ---------------------------------------------------------------- creation


def create_run(payload: dict[str, Any], thread_id: uuid.UUID | None = None) -> Run:
    """Insert a run (stateful when thread_id is given, else on a temporary thread).

    Decided under a row lock on the thread, so two concurrent requests cannot
    both see an idle thread. Dispatches the execution task after commit.
    Raises NotFound (assistant, thread), Conflict (reject strategy).
    """
    assistant = resolve_assistant(payload["assistant_id"])
    with transaction.atomic():
        if thread_id is None:
            thread = _create_temporary_thread(payload)
        else:
            thread = _lock_thread(thread_id, create=payload.get("if_not_exists") == "create")
        _apply_multitask_strategy(thread, payload.get("multitask_strategy") or MultitaskStrategy.ENQUEUE)
        run = Run.objects.create(
            thread=thread,
            assistant=assistant,
            metadata=payload.get("metadata") or {},
            kwargs=_run_kwargs(payload),
            multitask_strategy=payload.get("multitask_strategy") or MultitaskStrategy.ENQUEUE,
        )
        _mark_thread_taken(thread, assistant)
        transaction.on_commit(lambda: dispatch_run(run.run_id))
    return run


def _create_temporary_thread(payload: dict[str, Any]) -> Thread:
    keep = payload.get("on_completion") == "keep"
    return Thread.objects.create(is_temporary=not keep)


def _lock_thread(thread_id: uuid.UUID, create: bool) -> Thread:
    thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
    if thread is not None:
        return thread
    if not create:
        raise NotFound(f"Thread {thread_id} not found")
    try:
        with transaction.atomic():
            Thread.objects.create(thread_id=thread_id)
    except IntegrityError:
        pass  # created concurrently by another request: lock that one
    return Thread.objects.select_for_update().get(pk=thread_id)


def _apply_multitask_strategy(thread: Thread, strategy: str) -> None:
    if strategy == MultitaskStrategy.ENQUEUE:
        return
    in_flight = Run.objects.filter(thread=thread, status__in=IN_FLIGHT_STATUSES).exists()
    if not in_flight:
        return
    if strategy == MultitaskStrategy.REJECT:
        raise Conflict(
            f"Thread {thread.thread_id} is already running a task. Wait for it to finish "
            "or choose a different multitask strategy."
        )
    raise Conflict(f"multitask_strategy '{strategy}' is not supported by this server yet")


def _run_kwargs(payload: dict[str, Any]) -> dict[str, Any]:
    kwargs = {key: payload.get(key) for key in RUN_KWARGS}
    kwargs["stream_mode"] = payload.get("stream_mode") or list(DEFAULT_STREAM_MODES)
    return kwargs


def _mark_thread_taken(thread: Thread, assistant: Assistant) -> None:
    """The thread remembers its graph (for state reads) and turns busy."""
    metadata = {**thread.metadata, "graph_id": assistant.graph_id, "assistant_id": str(assistant.assistant_id)}
    Thread.objects.filter(pk=thread.pk).update(metadata=metadata, status=ThreadStatus.BUSY, updated_at=timezone.now())


def dispatch_run(run_id: uuid.UUID) -> None:
    from apps.runs.tasks import execute_run

    execute_run.apply_async(args=[str(run_id)])


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
        raise NotFound(f"Thread {thread_id} not found")
    queryset = Run.objects.filter(thread_id=thread_id).order_by("-created_at")
    if status:
        queryset = queryset.filter(status=status)
    return list(queryset[offset : offset + limit])


def delete_run(thread_id: uuid.UUID, run_id: uuid.UUID) -> None:
    """Delete a finished or pending run. Raises NotFound, Conflict (running)."""
    run = get_run(thread_id, run_id)
    deleted, _ = Run.objects.filter(pk=run.pk).exclude(status=RunStatus.RUNNING).delete()
    if not deleted:
        raise Conflict(f"Run {run_id} is running; cancel it before deleting it")


# ---------------------------------------------------------------- execution (worker side)


def execute_thread_runs(run_id: str) -> None:
    """Execute the thread's pending runs, oldest first, while holding its lock.

    1. A run that is gone or not pending is ignored (a duplicate delivery).
    2. Take the per-thread lock; if another worker holds it, return: that
       worker picks this run up next (step 4), so no slot waits idle.
    3. Claim the oldest pending run (compare-and-set), execute it, record
       its outcome; repeat until none is pending.
    4. Release the lock, then dispatch any run that arrived after the last
       claim (its own task may have found the lock taken).
    """
    row = Run.objects.filter(pk=run_id).values("thread_id", "status").first()
    if row is None or row["status"] != RunStatus.PENDING:
        return
    thread_id = str(row["thread_id"])
    lock = ThreadLock(get_redis(), thread_id)
    if not lock.acquire():
        return
    lock_keeper.hold(lock)
    try:
        while (run := claim_next_run(thread_id)) is not None:
            _execute_claimed(run)
    finally:
        lock_keeper.drop(lock)
        lock.release()
    _dispatch_leftover(thread_id)


def claim_next_run(thread_id: str) -> Run | None:
    """Move the thread's oldest pending run to running; None if there is none."""
    candidate = (
        Run.objects.filter(thread_id=thread_id, status=RunStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if candidate is None:
        return None
    now = timezone.now()
    try:
        with transaction.atomic():
            claimed = Run.objects.filter(pk=candidate, status=RunStatus.PENDING).update(
                status=RunStatus.RUNNING, started_at=now, updated_at=now, attempt=F("attempt") + 1
            )
    except IntegrityError:
        return None  # another worker is running one of this thread's runs
    if not claimed:
        return claim_next_run(thread_id)
    return Run.objects.select_related("assistant", "thread").get(pk=candidate)


def _execute_claimed(run: Run) -> None:
    try:
        outcome = run_loop.run(executor.execute(build_run_spec(run)))
    except Exception as exc:  # the executor reports graph errors itself; this is infrastructure
        logger.exception("run %s could not execute", run.run_id)
        outcome = executor.RunOutcome(
            status=RunStatus.ERROR, thread_status=ThreadStatus.ERROR, error=executor.error_info(exc)
        )
    finish_run(run, outcome)


def build_run_spec(run: Run) -> executor.RunSpec:
    kwargs = run.kwargs
    assistant = run.assistant
    return executor.RunSpec(
        run_id=str(run.run_id),
        thread_id=str(run.thread_id),
        graph_id=assistant.graph_id,
        config=_graph_config(run, assistant),
        context={**(assistant.context or {}), **(kwargs.get("context") or {})} or None,
        input=kwargs.get("input"),
        command=kwargs.get("command"),
        stream_modes=kwargs.get("stream_mode") or list(DEFAULT_STREAM_MODES),
        subgraphs=bool(kwargs.get("stream_subgraphs")),
        interrupt_before=kwargs.get("interrupt_before"),
        interrupt_after=kwargs.get("interrupt_after"),
        durability=kwargs.get("durability"),
    )


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


def finish_run(run: Run, outcome: executor.RunOutcome) -> None:
    """Record the terminal status, then close the run's event stream.

    The stream's end entry is written after the commit, so whoever wakes on
    it reads the final status from PostgreSQL.
    """
    now = timezone.now()
    with transaction.atomic():
        Run.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=outcome.status, error=outcome.error, ended_at=now, updated_at=now
        )
        thread_update: dict[str, Any] = {"status": outcome.thread_status, "updated_at": now}
        if outcome.error is None:
            thread_update.update(values=outcome.values, interrupts=outcome.interrupts, state_updated_at=now)
        if Run.objects.filter(thread_id=run.thread_id, status=RunStatus.PENDING).exists():
            thread_update["status"] = ThreadStatus.BUSY
        Thread.objects.filter(pk=run.thread_id).update(**thread_update)
    append_end(
        get_redis(),
        str(run.run_id),
        {"status": outcome.status, "output": outcome.output(), "error": outcome.error},
    )
    if run.thread.is_temporary:
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
        dispatch_run(leftover)


def run_outcome_from_db(run: Run) -> dict[str, Any]:
    """The end payload for a run whose event stream has already expired."""
    thread = Thread.objects.filter(pk=run.thread_id).first()
    output: Any = {"__error__": run.error} if run.error else (thread.values if thread else None)
    return {"status": run.status, "output": output, "error": run.error}
