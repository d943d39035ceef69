"""A thread's state for people: the conversation as a transcript, and its checkpoints as steps in time.

Pure functions over the JSON the threads service returns (upstream's ThreadState
shape), so they are tested without a graph and the admin pages stay thin.
"""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

MESSAGES_KEY = "messages"
MESSAGE_TYPES = {"human", "ai", "tool", "system", "function", "chat", "remove"}
# Checkpoints a page reads at most: the timeline shows the latest ones.
HISTORY_LIMIT = 50
# Checkpoint sources that are not a step of the graph (LangGraph's CheckpointMetadata.source).
MANUAL_SOURCES = ("update", "fork")
ROLE_NAMES = {"human": "human", "user": "human", "ai": "ai", "assistant": "ai", "tool": "tool", "system": "system"}


@dataclass
class ToolCall:
    name: str
    call_id: str
    args: str  # pretty JSON


@dataclass
class Message:
    role: str  # human, ai, tool, system
    text: str
    name: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str = ""


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and "content" in value and (value.get("type") or value.get("role")) is not None


def _text(content: Any) -> str:
    """A message's content as text: strings as they are, content blocks' text joined, other blocks as JSON."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            else:
                parts.append(pretty(block))
        return "\n".join(parts)
    return pretty(content)


def to_message(raw: dict[str, Any]) -> Message:
    kind = str(raw.get("type") or raw.get("role"))
    calls = [
        ToolCall(name=str(call.get("name", "")), call_id=str(call.get("id") or ""), args=pretty(call.get("args", {})))
        for call in raw.get("tool_calls") or []
        if isinstance(call, dict)
    ]
    return Message(
        role=ROLE_NAMES.get(kind, kind),
        text=_text(raw.get("content")),
        name=str(raw.get("name") or ""),
        tool_calls=calls,
        tool_call_id=str(raw.get("tool_call_id") or ""),
    )


def split_state(values: Any) -> tuple[list[Message], list[tuple[str, str]]]:
    """(the transcript, the other state keys as pretty JSON) of a thread's values.

    The transcript is the `messages` key, or else the first key holding a list of messages.
    """
    if not isinstance(values, dict):
        return [], [("values", pretty(values))] if values not in (None, {}) else []
    key = MESSAGES_KEY if _messages(values.get(MESSAGES_KEY)) else None
    if key is None:
        key = next((k for k, v in values.items() if _messages(v)), None)
    transcript = [to_message(m) for m in values[key] if _is_message(m)] if key else []
    others = [(k, pretty(v)) for k, v in values.items() if k != key]
    return transcript, others


def _messages(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_message(m) for m in value)


@dataclass
class StepRow:
    """What ran after one checkpoint: its nodes, when, for how long, and how it ended."""

    step: int | None
    node: str
    started_at: datetime.datetime
    duration_s: float | None  # None: still running, or waiting (interrupted)
    error: str | None = None
    interrupted: bool = False
    checkpoint_id: str | None = None

    @property
    def outcome(self) -> str:
        if self.error:
            return "error"
        if self.interrupted:
            return "interrupted"
        return "done" if self.duration_s is not None else "pending"


def _when(value: Any) -> datetime.datetime | None:
    if isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and value:
        return datetime.datetime.fromisoformat(value)
    return None


def _error(text: str) -> str:
    # An error read back from a checkpoint's pending writes is its repr in a string.
    return text.removeprefix("str: ")


def _node_names(tasks: list[dict]) -> str:
    names = ["input" if t.get("name") == "__start__" else str(t.get("name")) for t in tasks]
    return ", ".join(dict.fromkeys(names))


def steps_from_history(history: list[dict[str, Any]], *, ended_at: datetime.datetime | None = None) -> list[StepRow]:
    """The steps between consecutive checkpoints, oldest first.

    `history` is newest first, as get_thread_history returns it. A checkpoint's
    `tasks` are what ran after it, so a step lasts from its checkpoint to the
    next one; the last checkpoint's tasks (a failed or interrupted step) end at
    `ended_at` when known.
    """
    snapshots = [s for s in reversed(history) if _when(s.get("created_at"))]
    rows = []
    for index, snapshot in enumerate(snapshots):
        tasks = snapshot.get("tasks") or []
        started = _when(snapshot["created_at"])
        source = (snapshot.get("metadata") or {}).get("source")
        if source in MANUAL_SOURCES:  # written by update_state (or a fork), not by a node running
            rows.append(StepRow(step=None, node=f"state {source}", started_at=started, duration_s=0.0))
        if not tasks:
            continue  # the graph's end: nothing ran after this checkpoint
        following = _when(snapshots[index + 1]["created_at"]) if index + 1 < len(snapshots) else None
        errors = [_error(t["error"]) for t in tasks if t.get("error")]
        interrupted = any(t.get("interrupts") for t in tasks)
        finished = following or (ended_at if errors else None)
        rows.append(
            StepRow(
                step=(snapshot.get("metadata") or {}).get("step"),
                node=_node_names(tasks),
                started_at=started,
                duration_s=max((finished - started).total_seconds(), 0.0) if finished else None,
                error=errors[0] if errors else None,
                interrupted=interrupted and following is None,
                checkpoint_id=snapshot.get("checkpoint_id"),
            )
        )
    return rows
