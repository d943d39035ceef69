"""Threads: the ORM row plus the graph state the checkpointer keeps for it."""

import re
import uuid
from contextlib import nullcontext
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from langgraph.errors import InvalidUpdateError
from langgraph.types import StateUpdate

from apps.auth.custom_auth import authorize, current_user
from apps.core.errors import BadRequest, Conflict, NotFound
from apps.core.jsonutil import normalize
from apps.core.queries import apply_sort
from apps.graphs.checkpointer import copy_thread_checkpoints, get_sync_checkpointer, thread_storage
from apps.graphs.registry import get_registry
from apps.graphs.state import checkpoint_json, command_from_json, empty_state, interrupts_by_task, snapshot_to_json
from apps.graphs.store import get_sync_store
from apps.threads.models import Thread, ThreadStatus


def create_thread(
    *,
    thread_id: uuid.UUID | None = None,
    metadata: dict | None = None,
    if_exists: str = "raise",
    is_temporary: bool = False,
    ttl: dict | None = None,
    supersteps: list[dict] | None = None,
    **_: Any,
) -> Thread:
    """Raises Conflict if the id is taken (unless if_exists="do_nothing"),
    BadRequest if the supersteps do not fit the graph (nothing is created then).

    `ttl` is `{"ttl_minutes", "ttl_strategy"}` as retention.TTLField parses it.
    `supersteps` pre-populate the thread's history (LangGraph's bulk_update_state)."""
    thread_id = thread_id or uuid.uuid4()
    # A plain create is one INSERT, its own transaction (no BEGIN/COMMIT round trips);
    # supersteps join it in one, and inside a caller's transaction a savepoint keeps
    # a duplicate id from breaking that transaction.
    atomic = transaction.atomic() if supersteps or connection.in_atomic_block else nullcontext()
    try:
        with atomic:
            thread = Thread.objects.create(
                thread_id=thread_id, metadata=metadata or {}, is_temporary=is_temporary, **(ttl or {})
            )
            if supersteps:
                _apply_supersteps(thread, supersteps)
            return thread
    except IntegrityError as exc:
        if if_exists == "do_nothing":
            return get_thread(thread_id)
        raise Conflict(f"Thread with ID {thread_id} already exists") from exc


def authorize_new_thread(thread_id: uuid.UUID, metadata: dict | None) -> dict:
    """A thread made on the side (a run's `if_not_exists="create"`, a copy) passes the custom-auth
    handler of `POST /threads` too: it may deny (Forbidden), or stamp the metadata (an owner),
    which is returned. Without custom auth, the metadata as given."""
    value = {"thread_id": str(thread_id), "metadata": dict(metadata or {})}
    authorize("threads", "create", value)
    return value["metadata"] if isinstance(value.get("metadata"), dict) else dict(metadata or {})


def get_thread(thread_id: uuid.UUID) -> Thread:
    """Raises NotFound."""
    try:
        return Thread.objects.get(pk=thread_id)
    except Thread.DoesNotExist as exc:
        raise NotFound(f"Thread with ID {thread_id} not found") from exc


def patch_thread(thread_id: uuid.UUID, *, metadata: dict | None = None, ttl: dict | None = None, **_: Any) -> Thread:
    """Merge metadata into the thread's, set its TTL (which restarts). Raises NotFound."""
    with transaction.atomic():
        thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
        if thread is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        if metadata:
            thread.metadata = {**thread.metadata, **metadata}
        for field, value in (ttl or {}).items():
            setattr(thread, field, value)
        thread.save()
    return thread


def delete_thread(thread_id: uuid.UUID, *, missing_ok: bool = False) -> None:
    """Delete the thread, its runs and its checkpoints. Raises NotFound unless missing_ok."""
    deleted, _ = Thread.objects.filter(pk=thread_id).delete()
    if not deleted and not missing_ok:
        raise NotFound(f"Thread with ID {thread_id} not found")
    get_sync_checkpointer().delete_thread(str(thread_id))


def delete_threads_of_assistant(assistant_id: uuid.UUID) -> int:
    """Delete the threads whose metadata names the assistant (those the request may see), with
    their runs and checkpoints; returns how many."""
    thread_ids = list(Thread.objects.filter(metadata__assistant_id=str(assistant_id)).values_list("pk", flat=True))
    for thread_id in thread_ids:
        Thread.objects.filter(pk=thread_id).delete()
        get_sync_checkpointer().delete_thread(str(thread_id))
    return len(thread_ids)


def lock_thread(thread_id: uuid.UUID) -> None:
    """Row-lock the thread until the caller's transaction ends (a missing thread locks nothing).

    Run creation takes the same lock (it marks the thread busy), so whoever holds
    it sees a consistent queue of the thread's runs."""
    Thread.objects.select_for_update().filter(pk=thread_id).first()


def get_thread_values(thread_id: uuid.UUID) -> Any:
    """The thread's latest values as its row keeps them (None for a missing thread)."""
    return Thread.objects.filter(pk=thread_id).values_list("values", flat=True).first()


def mark_thread_idle(thread_id: uuid.UUID) -> None:
    """A busy thread goes back to idle (the caller knows nothing of it is in flight any more)."""
    Thread.objects.filter(pk=thread_id, status=ThreadStatus.BUSY).update(status=ThreadStatus.IDLE)


def _filtered(metadata: dict | None, values: dict | None, status: str | None, ids: list | None = None) -> QuerySet:
    queryset = Thread.objects.filter(is_temporary=False)
    if ids:
        queryset = queryset.filter(thread_id__in=ids)
    if metadata:
        queryset = queryset.filter(metadata__contains=metadata)
    if values:
        queryset = queryset.filter(values__contains=values)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def search_threads(
    *,
    ids: list | None = None,
    metadata: dict | None = None,
    values: dict | None = None,
    status: str | None = None,
    limit: int = 10,
    offset: int = 0,
    sort_by: str | None = None,
    sort_order: str | None = None,
    **_: Any,
) -> list[Thread]:
    queryset = apply_sort(_filtered(metadata, values, status, ids), sort_by, sort_order)
    return list(queryset[offset : offset + limit])


def count_threads(*, metadata: dict | None = None, values: dict | None = None, status: str | None = None) -> int:
    return _filtered(metadata, values, status).count()


def _graph_config(thread: Thread, checkpoint: dict | None = None) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": str(thread.thread_id), "checkpoint_ns": ""}
    if checkpoint:
        configurable.update({k: v for k, v in checkpoint.items() if v is not None and k != "thread_id"})
    return {"configurable": configurable}


def _graph_of(thread: Thread) -> Any | None:
    graph_id = thread.graph_id
    registry = get_registry()
    if not graph_id or graph_id not in registry:
        return None
    graph = registry.get(graph_id).build_sync(
        {"configurable": {"thread_id": str(thread.thread_id)}},
        access_context="threads.read",
        store=get_sync_store(),
        user=current_user.get(),
    )
    return graph.copy(update={"checkpointer": get_sync_checkpointer()})


def get_thread_state(thread_id: uuid.UUID, *, subgraphs: bool = False, checkpoint: dict | None = None) -> dict:
    """The thread's latest (or a given) checkpoint as upstream's ThreadState. Raises NotFound."""
    thread = get_thread(thread_id)
    graph = _graph_of(thread)
    if graph is None:
        return empty_state(thread_id)
    snapshot = graph.get_state(_graph_config(thread, checkpoint), subgraphs=subgraphs)
    if checkpoint and checkpoint.get("checkpoint_id") and not snapshot.created_at:
        raise NotFound(f"Checkpoint {checkpoint['checkpoint_id']} not found in thread {thread_id}")
    return snapshot_to_json(snapshot) if snapshot.created_at else empty_state(thread_id)


def get_thread_history(
    thread_id: uuid.UUID,
    *,
    limit: int = 10,
    before: Any = None,
    metadata: dict | None = None,
    checkpoint: dict | None = None,
) -> list[dict]:
    """Past states, newest first. Raises NotFound."""
    thread = get_thread(thread_id)
    graph = _graph_of(thread)
    if graph is None:
        return []
    if isinstance(before, str):
        before = {"configurable": {"checkpoint_id": before}}
    elif isinstance(before, dict) and "configurable" not in before:
        before = {"configurable": before}
    history = graph.get_state_history(
        _graph_config(thread, checkpoint), limit=limit, before=before, filter=metadata or None
    )
    return [snapshot_to_json(snapshot) for snapshot in history]


# What LangGraph raises for a state update that does not fit the graph (unknown node, bad values).
GRAPH_REFUSALS = (InvalidUpdateError, ValueError, KeyError)


def _refused(exc: Exception) -> BadRequest:
    return BadRequest(str(exc).strip("'\""))  # a KeyError's message comes quoted


def _graph_for_update(thread: Thread) -> Any:
    graph = _graph_of(thread)
    if graph is None:
        raise BadRequest(
            f"Thread '{thread.thread_id}' has no assigned graph ID. This usually occurs when no runs have been "
            "made on this particular thread. Run it once, or set the 'graph_id' field of its metadata."
        )
    return graph


def update_thread_state(
    thread_id: uuid.UUID,
    *,
    values: Any = None,
    as_node: str | None = None,
    checkpoint: dict | None = None,
    checkpoint_id: str | None = None,
) -> dict[str, Any]:
    """Write a new checkpoint as if `as_node` had just run (LangGraph's update_state).

    From the latest checkpoint, or from a given one (which forks the thread's
    history). Holds the thread row locked so no run starts meanwhile.
    Raises NotFound, Conflict (a run is in flight), BadRequest (no graph yet, unknown node).
    """
    if checkpoint_id and not checkpoint:
        checkpoint = {"checkpoint_id": checkpoint_id}
    with transaction.atomic():
        thread = Thread.objects.select_for_update().filter(pk=thread_id).first()
        if thread is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        if thread.status == ThreadStatus.BUSY:
            raise Conflict(f"Thread {thread_id} is busy: wait for its runs to finish, or cancel them")
        graph = _graph_for_update(thread)
        try:
            new_config = graph.update_state(_graph_config(thread, checkpoint), values, as_node=as_node)
        except GRAPH_REFUSALS as exc:
            raise _refused(exc) from exc
        _record_state(thread, graph.get_state(_graph_config(thread)))
    configurable = checkpoint_json(new_config)
    return {
        "checkpoint": configurable,
        "configurable": configurable,
        "checkpoint_id": configurable.get("checkpoint_id"),
    }


def _apply_supersteps(thread: Thread, supersteps: list[dict]) -> None:
    graph = _graph_for_update(thread)
    steps = [
        [
            StateUpdate(command_from_json(u["command"]) if u.get("command") else u.get("values"), u.get("as_node"))
            for u in step["updates"]
        ]
        for step in supersteps
    ]
    try:
        graph.bulk_update_state(_graph_config(thread), steps)
    except GRAPH_REFUSALS as exc:
        get_sync_checkpointer().delete_thread(str(thread.thread_id))  # the row goes with the transaction
        raise _refused(exc) from exc
    _record_state(thread, graph.get_state(_graph_config(thread)))


def _record_state(thread: Thread, snapshot: Any) -> None:
    """Keep the row's copy of the state (searchable values, interrupts, status) in step with the checkpointer."""
    thread.values = normalize(snapshot.values)
    thread.interrupts = interrupts_by_task(snapshot)
    thread.status = ThreadStatus.INTERRUPTED if snapshot.next else ThreadStatus.IDLE
    thread.state_updated_at = timezone.now()
    thread.save(update_fields=["values", "interrupts", "status", "state_updated_at", "updated_at"])


def get_thread_storage(thread_id: uuid.UUID) -> dict[str, Any]:
    """What the thread's checkpoints weigh. Raises NotFound."""
    return thread_storage(str(get_thread(thread_id).thread_id))


def copy_thread(thread_id: uuid.UUID) -> Thread:
    """A new thread with the same metadata (as stamped by the `POST /threads` auth handler) and the
    whole checkpoint history. Raises NotFound, Forbidden."""
    source = get_thread(thread_id)
    copy_id = uuid.uuid4()
    metadata = authorize_new_thread(copy_id, source.metadata)
    with transaction.atomic():
        copy = Thread.objects.create(
            thread_id=copy_id,
            metadata=metadata,
            config=dict(source.config),
            values=source.values,
            interrupts=source.interrupts,
            status=ThreadStatus.INTERRUPTED if source.status == ThreadStatus.INTERRUPTED else ThreadStatus.IDLE,
            state_updated_at=source.state_updated_at,
        )
        # Inside the transaction: if the copy fails, no half-made thread is left behind.
        copy_thread_checkpoints(str(source.thread_id), str(copy.thread_id))
    return copy


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")


def extract_path(document: Any, path: str) -> Any:
    """The value at `values.messages[-1].content` in a thread's JSON, or None when absent
    (upstream's `extract` on thread search)."""
    value = document
    for key, index in _PATH_PART.findall(path):
        try:
            value = value[int(index)] if index else value[key]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def get_or_create_thread(thread_id: uuid.UUID) -> Thread:
    """A thread the request's user may see (NotFound for another's), or a new one created as
    `POST /threads` creates it (custom auth stamps it): what runs started by id on a thread
    that may not exist yet act on (the streaming protocol's `run.start`, A2A's `contextId`).

    Call it after `authorize`: the filter the auth handler gives scopes the look-up.
    """
    if Thread._base_manager.filter(pk=thread_id).exists():
        return get_thread(thread_id)
    value: dict[str, Any] = {"thread_id": str(thread_id), "metadata": {}}
    authorize("threads", "create", value)
    return create_thread(thread_id=thread_id, metadata=value["metadata"], if_exists="do_nothing")
