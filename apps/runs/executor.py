"""Executes one run's graph on the worker's event loop and publishes its events.

Knows LangGraph and Redis streams; makes no database query (the worker that
calls it reads and writes PostgreSQL; only the status enums come from models).
"""

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from apps.auth.custom_auth import as_user
from apps.core.failures import is_transient
from apps.core.jsonutil import normalize
from apps.core.redis import get_async_redis
from apps.graphs.checkpointer import get_async_checkpointer
from apps.graphs.registry import get_registry
from apps.graphs.state import command_from_json, interrupt_json, interrupts_by_task
from apps.graphs.store import get_async_store
from apps.runs.cancellation import CancelAction, get_watcher
from apps.runs.messages import MessageAccumulator
from apps.runs.models import RunStatus
from apps.runs.publisher import EventPublisher
from apps.threads.models import ThreadStatus

logger = logging.getLogger(__name__)

# Our stream mode names -> LangGraph's; "messages-tuple" is LangGraph's "messages".
LANGGRAPH_MODES = {
    "values": "values",
    "updates": "updates",
    "messages-tuple": "messages",
    "messages": "messages",  # re-shaped into messages/partial|complete|metadata (apps/runs/messages.py)
    "custom": "custom",
    "debug": "debug",
    "tasks": "tasks",
    "checkpoints": "checkpoints",
}


@dataclass
class RunSpec:
    """Everything the executor needs, read from the ORM beforehand."""

    run_id: str
    thread_id: str
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any] | None
    input: Any
    command: dict[str, Any] | None
    stream_modes: list[str]
    subgraphs: bool = False
    interrupt_before: Any = None
    interrupt_after: Any = None
    durability: str | None = None
    attempt: int = 1
    user: dict[str, Any] | None = None  # the authenticated user who created the run (custom auth)


@dataclass
class RunOutcome:
    status: RunStatus
    thread_status: ThreadStatus
    values: Any = None
    error: dict[str, Any] | None = None
    interrupts: dict[str, Any] = field(default_factory=dict)
    pending_interrupts: list[dict[str, Any]] = field(default_factory=list)
    traceback: str = ""
    cancelled_with: CancelAction | None = None  # set when a stop signal ended it

    def output(self) -> Any:
        """What /wait and /join answer with: the final values (plus pending interrupts)."""
        if self.error is not None:
            return {"__error__": self.error}

        if self.pending_interrupts and isinstance(self.values, dict):
            return {**self.values, "__interrupt__": self.pending_interrupts}
        return self.values


def error_info(exc: BaseException) -> dict[str, str]:
    return {"error": type(exc).__name__, "message": str(exc)}


def event_name(mode: str, namespace: tuple[str, ...] = ()) -> str:
    return f"{mode}|{'|'.join(namespace)}" if namespace else mode


def graph_input(spec: RunSpec) -> Any:
    return command_from_json(spec.command) if spec.command else spec.input


async def execute_cancellable(spec: RunSpec) -> RunOutcome:
    """Run the graph as a task that a stop signal (interrupt or rollback) can cancel mid-node."""
    client = get_async_redis()
    watcher = get_watcher(client)
    task = asyncio.ensure_future(execute(spec))
    await watcher.register(spec.run_id, task)
    try:
        return await task
    except asyncio.CancelledError:
        action = watcher.actions.get(spec.run_id)
        if action is None:
            raise  # not our signal: the worker itself is shutting down
        if action == CancelAction.REQUEUE:  # worker shutting down: the run goes back to the queue
            return RunOutcome(status=RunStatus.PENDING, thread_status=ThreadStatus.BUSY, cancelled_with=action)
        # As upstream: an interrupted run leaves its thread `interrupted`; a rolled-back one leaves no trace.
        thread_status = ThreadStatus.INTERRUPTED if action == CancelAction.INTERRUPT else ThreadStatus.IDLE
        return RunOutcome(status=RunStatus.INTERRUPTED, thread_status=thread_status, cancelled_with=action)
    finally:
        watcher.unregister(spec.run_id)


async def execute(spec: RunSpec) -> RunOutcome:
    """Run the graph to its end, publishing each chunk; raises only on cancel or on an
    outage (apps.core.failures.is_transient): a graph's own failure is its outcome."""
    publisher = EventPublisher(get_async_redis(), spec.run_id, spec.thread_id, spec.attempt)
    graph = None
    try:
        async with _prepared_graph(spec) as graph:
            last_checkpoint = await _stream_graph(graph, spec, publisher)
            outcome = _outcome_of_finished_graph(last_checkpoint) or await _final_outcome(graph, spec)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if is_transient(exc):
            raise  # PostgreSQL or Redis failed under the run, not the graph: the worker retries it
        logger.warning("run %s failed: %s: %s", spec.run_id, type(exc).__name__, exc)
        publisher.publish("error", error_info(exc))
        outcome = RunOutcome(
            status=RunStatus.ERROR,
            thread_status=ThreadStatus.ERROR,
            values=await _values_after_error(graph, spec),
            error=error_info(exc),
            traceback=traceback.format_exc(),
        )
    finally:
        await publisher.close()
    return outcome


async def _values_after_error(graph: Any, spec: RunSpec) -> Any:
    """The state a failed run reached (upstream's thread shows it), or None when unknown."""
    if graph is None:
        return None
    try:
        return normalize((await graph.aget_state({"configurable": {"thread_id": spec.thread_id}})).values)
    except Exception:  # the run's own error is what matters
        logger.debug("run %s: state after error unreadable", spec.run_id, exc_info=True)
        return None


@contextlib.asynccontextmanager
async def _prepared_graph(spec: RunSpec, access_context: str = "threads.create_run") -> AsyncIterator[Any]:
    """The run's graph with the checkpointer and store attached; a graph factory that is a
    context manager stays entered until the block ends (the run is over)."""
    store = await get_async_store()
    user = as_user(spec.user) if spec.user else None
    loaded = get_registry().get(spec.graph_id)
    context = dict(spec.context) if spec.context is not None else None
    async with loaded.build(
        spec.config, access_context=access_context, store=store, user=user, context=context
    ) as graph:
        yield graph.copy(update={"checkpointer": await get_async_checkpointer(), "store": store})


def graph_context(graph: Any, context: dict[str, Any] | None) -> dict[str, Any]:
    """The context a run gets, as upstream: only the keys the graph's context schema declares
    (a dataclass would refuse others); LangGraph builds the schema's defaults from what is left,
    so a graph reading `runtime.context.model` gets the default model when none was sent."""
    context = context or {}
    schema = getattr(graph, "context_schema", None)
    if schema is None:
        return context
    if schema not in _context_keys:  # describing a schema costs ~2-5 ms: once per schema and process
        try:
            _context_keys[schema] = frozenset((graph.get_context_jsonschema() or {}).get("properties") or ())
        except Exception:  # a schema pydantic cannot describe: pass the context as it is
            logger.debug("graph %s: context schema unreadable", graph.name, exc_info=True)
            _context_keys[schema] = frozenset()
    keys = _context_keys[schema]
    return {key: value for key, value in context.items() if key in keys} if keys else context


_context_keys: dict[Any, frozenset[str]] = {}


async def _earlier_attempt_progress(graph: Any, spec: RunSpec) -> str | None:
    """For a retried run: "resume" if its earlier attempt checkpointed mid-graph, "done" if that
    attempt finished the graph (only its outcome was not recorded); None to start afresh."""
    if spec.attempt <= 1:
        return None
    snapshot = await graph.aget_state({"configurable": {"thread_id": spec.thread_id}})
    if (snapshot.metadata or {}).get("run_id") != spec.run_id:
        return None
    return "resume" if snapshot.next else "done"


async def _stream_graph(graph: Any, spec: RunSpec, publisher: EventPublisher) -> dict[str, Any] | None:
    """Stream the graph, publishing the requested modes; return the root graph's last checkpoint
    as LangGraph's `checkpoints` mode gives it (always streamed: it is the final state for free)."""
    requested = set(spec.stream_modes)
    kwargs: dict[str, Any] = {
        "stream_mode": list(
            dict.fromkeys([*(LANGGRAPH_MODES[m] for m in spec.stream_modes if m != "events"), "checkpoints"])
        ),
        "subgraphs": spec.subgraphs,
        "interrupt_before": spec.interrupt_before,
        "interrupt_after": spec.interrupt_after,
    }
    kwargs["context"] = graph_context(graph, spec.context)
    if spec.durability:
        kwargs["durability"] = spec.durability
    # Resuming: input None continues the interrupted step; nodes that finished keep their writes.
    config, run_input = spec.config, graph_input(spec)
    progress = await _earlier_attempt_progress(graph, spec)
    if progress == "done":  # running it again would repeat its side effects
        return None
    if progress == "resume":
        configurable = {k: v for k, v in config["configurable"].items() if k != "checkpoint_id"}
        config, run_input = {**config, "configurable": configurable}, None
    if "events" in requested:
        items = _mode_chunks_and_events(graph.astream_events(run_input, config, version="v2", **kwargs), publisher)
    else:
        items = graph.astream(run_input, config, **kwargs)
    accumulator = MessageAccumulator() if "messages" in requested else None
    last_checkpoint = None
    async for item in items:
        if spec.subgraphs:
            namespace, mode, chunk = item
        else:
            (mode, chunk), namespace = item, ()
        if mode == "checkpoints":
            if not namespace:  # the root graph's, not a subgraph's
                last_checkpoint = chunk
            if "checkpoints" not in requested:
                continue
        _publish_chunk(publisher, requested, accumulator, mode, tuple(namespace), chunk)
    return last_checkpoint


def _publish_chunk(
    publisher: EventPublisher,
    requested: set[str],
    accumulator: MessageAccumulator | None,
    mode: str,
    namespace: tuple[str, ...],
    chunk: Any,
) -> None:
    if mode != "messages":
        publisher.publish(event_name(mode, namespace), chunk)
        return
    # LangGraph's one `messages` mode serves both of ours.
    if "messages-tuple" in requested:
        publisher.publish(event_name(mode, namespace), chunk)
    if accumulator is not None:
        for name, data in accumulator.translate(chunk):
            publisher.publish(event_name(name, namespace), data)


async def _mode_chunks_and_events(events: Any, publisher: EventPublisher) -> Any:
    """`events` mode: publish LangChain's v2 events; hand on the root graph's stream chunks (the other modes)."""
    async for event in events:
        is_root = not event.get("parent_ids")
        if is_root and event["event"] == "on_chain_stream":
            yield event["data"]["chunk"]
        else:
            publisher.publish("events", event)


async def state_after_cancel(spec: RunSpec, outcome: RunOutcome) -> RunOutcome:
    """Fill a cancelled run's outcome with the thread's state as the cancellation left it."""
    async with _prepared_graph(spec, access_context="threads.read") as graph:
        settled = await _final_outcome(graph, spec)
    outcome.values, outcome.interrupts = settled.values, settled.interrupts
    return outcome


def _outcome_of_finished_graph(last_checkpoint: dict[str, Any] | None) -> RunOutcome | None:
    """The outcome of a graph that ran to its end, from its last streamed checkpoint, or None
    when that does not tell (the graph stopped with tasks left: interrupted, drained).

    LangGraph streams a checkpoint with `next` empty only once no task is left, with
    the values `aget_state` would read back; a task-less state holds no interrupt. This
    spares the common run a checkpoint read and its deserialisation (~0.55 ms of the
    worker's CPU in-process, 20% of a trivial run's graph and checkpoints).
    """
    if last_checkpoint is None or last_checkpoint["next"]:
        return None
    return RunOutcome(
        status=RunStatus.SUCCESS, thread_status=ThreadStatus.IDLE, values=normalize(last_checkpoint["values"])
    )


async def _final_outcome(graph: Any, spec: RunSpec) -> RunOutcome:
    snapshot = await graph.aget_state({"configurable": {"thread_id": spec.thread_id}})
    interrupted = bool(snapshot.next)
    return RunOutcome(
        status=RunStatus.SUCCESS,
        thread_status=ThreadStatus.INTERRUPTED if interrupted else ThreadStatus.IDLE,
        values=normalize(snapshot.values),
        interrupts=interrupts_by_task(snapshot),
        pending_interrupts=[interrupt_json(i) for i in snapshot.interrupts],
    )
