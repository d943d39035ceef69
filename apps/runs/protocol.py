"""The thread-centric streaming protocol (`POST /threads/{id}/stream/events`), built on the runs' Redis streams.

A run started through the protocol (`run.start`, `input.respond`) is an ordinary
run streaming `values`, `messages-tuple` and `tasks` with subgraphs; its Redis
stream holds LangGraph's chunks. This module turns them, at read time, into the
protocol's events as upstream sends them:

- `lifecycle` `running` when a run starts, and at its end `completed`, `failed`
  (with the error's message) or `interrupted` (a cancel, or an interrupt, which
  is preceded by one `input.requested` per pending interrupt); a subgraph gets
  `started` on its first event and `completed` when its task returns;
- `values` per namespace (a subgraph's namespace is `["node:task_id", ...]`);
- `messages`: a model's streamed chunks become `message-start`,
  `content-block-start|delta|finish` and `message-finish`.

Upstream emits no `updates`, `custom`, `tasks` or `tools` events for these runs
(observed against langgraph-api 0.16.7), so neither do we.

`seq` numbers a thread's events from 1, across its runs in the order they
started (as listed on the thread's run stream); it is a pure function of what
Redis holds, so a reconnect with `since` skips exactly what the client has seen.
"""

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from agentplatform.handler import database_sync_to_async
from apps.core.errors import BadRequest, NotFound
from apps.core.jsonutil import dumps
from apps.core.redis import get_async_redis
from apps.runs.sse import KEEPALIVE_COMMENT, _finished_without_stream, sse_frame
from apps.runs.streams import NEVER_STARTED, StreamEntry, read_entries, tail, thread_stream_key

# What a protocol run streams from LangGraph (our stream mode names).
RUN_STREAM_MODES = ["values", "messages-tuple", "tasks"]
CHANNELS = ("values", "updates", "messages", "tools", "custom", "lifecycle", "input", "tasks")
INTERRUPT_KEY = "__interrupt__"
USAGE_KEYS = ("input_tokens", "output_tokens", "total_tokens")


@dataclass(frozen=True)
class ProtocolEvent:
    event_id: str
    method: str
    namespace: tuple[str, ...]
    timestamp: int
    data: Any

    def to_json(self, seq: int) -> dict[str, Any]:
        params = {"namespace": list(self.namespace), "timestamp": self.timestamp, "data": self.data}
        return {"type": "event", "event_id": self.event_id, "seq": seq, "method": self.method, "params": params}


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class EventFilter:
    """A `ProtocolEventStreamRequest`: channels, namespace prefixes, depth below them, and `since`."""

    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] | None = None
    depth: int | None = None
    since: int = 0

    @classmethod
    def parse(cls, body: Any) -> "EventFilter":
        """Raises BadRequest (upstream answers 400) naming what is wrong."""
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        channels = body.get("channels")
        if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels):
            raise BadRequest("channels is required and must be a non-empty array")
        if unknown := [c for c in channels if c not in CHANNELS and not (c.startswith("custom:") and len(c) > 7)]:
            raise BadRequest(
                f"channels contains unsupported entries: {', '.join(unknown)}. "
                f"Allowed: {', '.join(CHANNELS)}, or any `custom:<name>`."
            )
        namespaces = body.get("namespaces")
        if namespaces is not None and not (
            isinstance(namespaces, list)
            and all(isinstance(ns, list) and all(isinstance(s, str) for s in ns) for ns in namespaces)
        ):
            raise BadRequest("namespaces must be an array of string arrays")
        return cls(
            channels=frozenset(channels),
            namespaces=tuple(tuple(ns) for ns in namespaces) if namespaces else None,
            depth=_non_negative_int(body, "depth"),
            since=_non_negative_int(body, "since") or 0,
        )

    def matches(self, event: ProtocolEvent) -> bool:
        channel = _channel_of(event)
        if channel not in self.channels and not (channel.startswith("custom:") and "custom" in self.channels):
            return False
        if self.namespaces is None:
            return True
        depth = len(event.namespace)
        return any(
            _is_prefix(event.namespace, prefix) and (self.depth is None or depth - len(prefix) <= self.depth)
            for prefix in self.namespaces
        )


def _non_negative_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadRequest(f"{name} must be a non-negative integer")
    return value


def _channel_of(event: ProtocolEvent) -> str:
    if event.method == "input.requested":
        return "input"
    if event.method == "custom" and isinstance(event.data, dict) and event.data.get("name"):
        return f"custom:{event.data['name']}"
    return event.method


def _is_prefix(namespace: tuple[str, ...], prefix: tuple[str, ...]) -> bool:
    """Segment by segment; a prefix segment without `:` also matches `name:<task id>`."""
    if len(prefix) > len(namespace):
        return False
    return all(
        candidate == segment or (":" not in segment and candidate.split(":", 1)[0] == segment)
        for segment, candidate in zip(prefix, namespace, strict=False)
    )


# ---------------------------------------------------------------- one run's events


def _entry_ms(entry_id: str) -> int:
    return int(entry_id.split("-", 1)[0])


@dataclass
class _Message:
    """A streamed AI message being assembled: its blocks by key (text, or a tool call's index)."""

    namespace: tuple[str, ...]
    blocks: dict[Any, int] = field(default_factory=dict)
    text: dict[int, str] = field(default_factory=dict)
    tools: dict[int, dict[str, Any]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None


class RunTranslator:
    """LangGraph chunks of one run (its Redis stream entries) -> protocol events, in order.

    Deterministic: the same entries always give the same events with the same ids.
    """

    def __init__(self, run_id: str, graph_name: str) -> None:
        self.run_id = run_id
        self.graph_name = graph_name
        self._subgraphs: dict[tuple[str, ...], bool] = {}  # open namespaces
        self._messages: dict[str, _Message] = {}

    def start(self, entry_id: str) -> ProtocolEvent:
        return self._lifecycle((), "running", _entry_ms(entry_id), {"graph_name": self.graph_name})

    def translate(self, entry: StreamEntry) -> list[ProtocolEvent]:
        mode, _, ns = entry.event.partition("|")
        namespace = tuple(ns.split("|")) if ns else ()
        ms = _entry_ms(entry.id)
        own: list[tuple[str, tuple[str, ...], Any]] = []
        if mode == "values":
            own = _values_event(namespace, json.loads(entry.data))
        elif mode == "messages":
            own = self._message_events(namespace, json.loads(entry.data))
        elif mode == "tasks":
            own = self._close_finished_subgraph(namespace, json.loads(entry.data))
        # As upstream: a subgraph's `started` follows the first event seen in its namespace.
        own[1:1] = self._open_subgraphs(namespace)
        data = (self._finish_messages() if mode != "messages" else []) + own
        return [
            ProtocolEvent(entry.id if i == 0 else f"{entry.id}.{i}", method, event_ns, ms, payload)
            for i, (method, event_ns, payload) in enumerate(data)
        ]

    def end(self, end: dict[str, Any], entry_id: str) -> list[ProtocolEvent]:
        """The run's closing events, from its end payload (status, output, error)."""
        ms = _entry_ms(entry_id)
        events = [
            ProtocolEvent(f"{entry_id}.{i}" if i else entry_id, method, ns, ms, payload)
            for i, (method, ns, payload) in enumerate(self._finish_messages())
        ]
        status, pending = _terminal(end)
        for ns in sorted(self._subgraphs, key=len, reverse=True):
            events.append(self._lifecycle(ns, "completed" if status == "completed" else status, ms, {}))
        self._subgraphs.clear()
        for interrupt in pending:
            interrupt_id = str(interrupt.get("id"))
            data = {"interrupt_id": interrupt_id, "payload": interrupt.get("value")}
            events.append(ProtocolEvent(f"synth:{self.run_id}:input||{interrupt_id}", "input.requested", (), ms, data))
        extra: dict[str, Any] = {"graph_name": self.graph_name}
        if status == "failed":
            error = end.get("error") or {}
            extra["error"] = error.get("message") or error.get("error") if isinstance(error, dict) else str(error)
        events.append(self._lifecycle((), status, ms, extra))
        return events

    def _lifecycle(self, ns: tuple[str, ...], event: str, ms: int, extra: dict[str, Any]) -> ProtocolEvent:
        event_id = f"synth:{self.run_id}:lc|{'|'.join(ns)}|{event}"
        return ProtocolEvent(event_id, "lifecycle", ns, ms, {"event": event, **extra})

    # subgraphs: started on their first event, completed when their task returns

    def _open_subgraphs(self, namespace: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], Any]]:
        started = []
        for depth in range(1, len(namespace) + 1):
            ns = namespace[:depth]
            if ns not in self._subgraphs:
                self._subgraphs[ns] = True
                name, _, task_id = ns[-1].partition(":")
                data = {"event": "started", "namespace": list(ns), "graph_name": name, "trigger_call_id": task_id}
                started.append(("lifecycle", ns, data))
        return started

    def _close_finished_subgraph(self, parent: tuple[str, ...], task: Any) -> list[tuple[str, tuple[str, ...], Any]]:
        if not isinstance(task, dict) or not ({"result", "error"} & set(task)):
            return []
        child = (*parent, f"{task.get('name')}:{task.get('id')}")
        if child not in self._subgraphs:
            return []
        closing = [ns for ns in self._subgraphs if ns[: len(child)] == child]
        for ns in closing:
            del self._subgraphs[ns]
        status = "interrupted" if task.get("interrupts") else "failed" if task.get("error") else "completed"
        data: dict[str, Any] = {"event": status, "graph_name": child[-1].split(":", 1)[0]}
        if status == "failed":
            data["error"] = str(task["error"])
        return [("lifecycle", child, data)]

    # messages: LangGraph's (chunk, metadata) pairs -> the protocol's message lifecycle

    def _message_events(self, namespace: tuple[str, ...], pair: Any) -> list[tuple[str, tuple[str, ...], Any]]:
        if not isinstance(pair, list) or len(pair) != 2 or not isinstance(pair[0], dict):
            return []
        message, metadata = pair
        whole = message.get("type") == "ai" and isinstance(metadata, dict) and "ls_provider" in metadata
        if message.get("type") != "AIMessageChunk" and not whole:
            return []  # a node's output, not a model's: upstream does not stream those as messages
        message_id = str(message.get("id"))
        out: list[tuple[str, tuple[str, ...], Any]] = []
        state = self._messages.get(message_id)
        if state is None:
            state = self._messages[message_id] = _Message(namespace)
            out.append(("messages", namespace, {"event": "message-start", "role": "ai", "id": message_id}))
        for key, start, delta in _block_deltas(message):
            if key not in state.blocks:
                state.blocks[key] = len(state.blocks)
                out.append(_block_event(namespace, "content-block-start", state.blocks[key], content=start))
            index = state.blocks[key]
            if delta["type"] == "text-delta":
                state.text[index] = state.text.get(index, "") + delta["text"]
            else:
                tool = state.tools.setdefault(index, {**start, "args": ""})
                tool["args"] += delta["args"]
            out.append(_block_event(namespace, "content-block-delta", index, delta=delta))
        if message.get("usage_metadata"):
            state.usage = message["usage_metadata"]
        if whole or message.get("chunk_position") == "last":
            out += self._finish_message(message_id)
        return out

    def _finish_messages(self) -> list[tuple[str, tuple[str, ...], Any]]:
        return [event for message_id in list(self._messages) for event in self._finish_message(message_id)]

    def _finish_message(self, message_id: str) -> list[tuple[str, tuple[str, ...], Any]]:
        state = self._messages.pop(message_id)
        out = []
        for index in sorted(state.blocks.values()):
            if index in state.text:
                content: dict[str, Any] = {"type": "text", "text": state.text[index]}
            else:
                content = _finished_tool_call(state.tools.get(index, {}))
            out.append(_block_event(state.namespace, "content-block-finish", index, content=content))
        finish: dict[str, Any] = {"event": "message-finish"}
        if state.usage:
            finish["usage"] = {key: state.usage[key] for key in USAGE_KEYS if key in state.usage}
        out.append(("messages", state.namespace, finish))
        return out


def _values_event(namespace: tuple[str, ...], chunk: Any) -> list[tuple[str, tuple[str, ...], Any]]:
    """The state, without the pending interrupts LangGraph adds (they come as `input.requested`)."""
    if isinstance(chunk, dict) and INTERRUPT_KEY in chunk:
        chunk = {key: value for key, value in chunk.items() if key != INTERRUPT_KEY}
        if not chunk:
            return []
    return [("values", namespace, chunk)]


def _block_event(namespace: tuple[str, ...], event: str, index: int, **fields: Any) -> tuple[str, tuple[str, ...], Any]:
    return ("messages", namespace, {"event": event, "index": index, **fields})


def _block_deltas(message: dict[str, Any]) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    """(block key, the block's start skeleton, this chunk's delta) for the text and tool-call slices of a chunk."""
    content = message.get("content")
    texts = (
        [content]
        if isinstance(content, str)
        else [
            block.get("text", "") for block in content or [] if isinstance(block, dict) and block.get("type") == "text"
        ]
    )
    text = "".join(texts)
    if text:
        yield "text", {"type": "text", "text": ""}, {"type": "text-delta", "text": text}
    chunks = message.get("tool_call_chunks") or [
        {**call, "args": dumps(call.get("args") or {}).decode(), "index": i}
        for i, call in enumerate(message.get("tool_calls") or [])
    ]
    for position, chunk in enumerate(chunks):
        key = ("tool", chunk.get("index", position))
        start = {"type": "tool_call_chunk", "id": chunk.get("id"), "name": chunk.get("name"), "args": ""}
        yield key, start, {"type": "tool-call-delta", "args": chunk.get("args") or ""}


def _finished_tool_call(tool: dict[str, Any]) -> dict[str, Any]:
    call = {"id": tool.get("id"), "name": tool.get("name")}
    try:
        return {"type": "tool_call", **call, "args": json.loads(tool.get("args") or "{}")}
    except ValueError as exc:
        return {"type": "invalid_tool_call", **call, "args": tool.get("args"), "error": str(exc)}


def _terminal(end: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The root lifecycle event a run ends with, and the interrupts it waits on."""
    status = end.get("status")
    if status in ("error", "timeout"):
        return "failed", []
    if status == "interrupted":  # cancelled
        return "interrupted", []
    output = end.get("output")
    pending = output.get(INTERRUPT_KEY) if isinstance(output, dict) else None
    if pending:
        return "interrupted", [i for i in pending if isinstance(i, dict)]
    return "completed", []


# ---------------------------------------------------------------- a thread's event stream


def check_readable(thread_id: str) -> None:
    """Raises NotFound for a thread the request's user may not see.

    Called in the request (where the custom-auth filter applies); a thread that
    does not exist yet is not refused: the stream waits for `run.start` to create it.
    """
    from apps.threads.models import Thread

    if not Thread.objects.filter(pk=thread_id).exists() and Thread._base_manager.filter(pk=thread_id).exists():
        raise NotFound(f"Thread with ID {thread_id} not found")


@database_sync_to_async
def _gone(thread_id: str) -> bool:
    from apps.threads.models import Thread

    return not Thread._base_manager.filter(pk=thread_id).exists()


@database_sync_to_async
def _graph_name(run_id: str) -> str:
    from apps.runs.models import Run

    return Run.objects.filter(pk=run_id).values_list("assistant__graph_id", flat=True).first() or ""


async def _run_events(
    client: Any, run_id: str, announced_id: str, started: bool
) -> AsyncIterator[ProtocolEvent | None]:
    """A run's protocol events; None after each idle period (for a heartbeat).

    A run cancelled before it started has only its end (no `running`).
    """
    translator = RunTranslator(run_id, await _graph_name(run_id))
    if started:
        yield translator.start(announced_id)
    if (end := await _finished_without_stream(run_id)) is not None:  # an old run: its stream expired
        for event in translator.end(end, announced_id):
            yield event
        return
    async for entry in read_entries(client, run_id, "0", settings.SSE_HEARTBEAT_S):
        if entry is None:
            if (end := await _finished_without_stream(run_id)) is not None:  # its stream expired
                for event in translator.end(end, announced_id):
                    yield event
                return
            yield None
        elif entry.is_end:
            for event in translator.end(entry.end_payload(), entry.id):
                yield event
        else:
            for event in translator.translate(entry):
                yield event


async def thread_events(thread_id: str, wanted: EventFilter) -> AsyncIterator[bytes]:
    """SSE frames of every run of the thread, from its first held run, live; open until the client leaves.

    Events with `seq <= wanted.since` are counted, not sent. A thread that does
    not exist yet is waited for: the SDK opens this stream before `run.start` creates it;
    the stream ends when a thread it followed is deleted.
    """
    client = get_async_redis()
    seq, seen = 0, set()
    runs = tail(client, thread_stream_key(thread_id), "0", settings.SSE_HEARTBEAT_S)
    try:
        async for item in runs:
            if item is None:
                if seen and await _gone(thread_id):  # deleted: nothing more will come
                    return
                yield KEEPALIVE_COMMENT
                continue
            announced_id, fields = item
            run_id = fields[b"r"].decode()
            if run_id in seen:  # a retried attempt announces its run again; its stream is the same
                continue
            seen.add(run_id)
            started = fields.get(b"a") != NEVER_STARTED.encode()
            async for event in _run_events(client, run_id, announced_id, started):
                if event is None:
                    yield KEEPALIVE_COMMENT
                    continue
                seq += 1
                if seq > wanted.since and wanted.matches(event):
                    yield sse_frame(event.method, dumps(event.to_json(seq)), str(seq))
    finally:
        await runs.aclose()
