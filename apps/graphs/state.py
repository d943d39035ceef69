"""LangGraph state snapshots in the JSON shape of upstream's ThreadState."""

import uuid
from typing import Any

from langgraph.types import Command, Interrupt, PregelTask, Send, StateSnapshot

from apps.core.jsonutil import normalize


def checkpoint_json(config: dict | None) -> dict[str, Any] | None:
    if not config:
        return None
    configurable = config.get("configurable", {})
    return {
        "thread_id": configurable.get("thread_id"),
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable.get("checkpoint_id"),
        "checkpoint_map": configurable.get("checkpoint_map"),
    }


def interrupt_json(interrupt: Interrupt) -> dict[str, Any]:
    return {"value": normalize(interrupt.value), "id": interrupt.id}


def task_error(error: Any) -> str | None:
    """As upstream: the exception's repr, "ValueError('boom')"; a checkpoint already holds it as that string."""
    if not error:
        return None
    return error if isinstance(error, str) else repr(error)


def task_json(task: PregelTask) -> dict[str, Any]:
    state = task.state
    if isinstance(state, StateSnapshot):
        state_json: Any = snapshot_to_json(state)
    elif state is not None:
        state_json = checkpoint_json(state)
    else:
        state_json = None
    return {
        "id": task.id,
        "name": task.name,
        "path": normalize(task.path),
        "error": task_error(task.error),
        "interrupts": [interrupt_json(i) for i in task.interrupts],
        "checkpoint": None,
        "state": state_json,
        "result": normalize(task.result) if task.result is not None else None,
    }


def snapshot_to_json(snapshot: StateSnapshot) -> dict[str, Any]:
    checkpoint = checkpoint_json(snapshot.config)
    parent = checkpoint_json(snapshot.parent_config)
    return {
        "values": normalize(snapshot.values),
        "next": list(snapshot.next),
        "tasks": [task_json(t) for t in snapshot.tasks],
        "metadata": normalize(snapshot.metadata or {}),
        "created_at": snapshot.created_at,
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": [interrupt_json(i) for i in snapshot.interrupts],
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def empty_state(thread_id: uuid.UUID) -> dict[str, Any]:
    """A thread no run has touched yet."""
    return {
        "values": {},
        "next": [],
        "tasks": [],
        "metadata": None,
        "created_at": None,
        "checkpoint": None,
        "parent_checkpoint": None,
        "interrupts": [],
        "checkpoint_id": None,
        "parent_checkpoint_id": None,
    }


def interrupts_by_task(snapshot: StateSnapshot) -> dict[str, list[dict[str, Any]]]:
    """The Thread.interrupts field: pending interrupts keyed by task id."""
    return {task.id: [interrupt_json(i) for i in task.interrupts] for task in snapshot.tasks if task.interrupts}


def command_from_json(command: dict[str, Any]) -> Command:
    """A LangGraph Command from the API's `command` ({resume, update, goto}) as upstream reads it:
    `goto` a node, a list of nodes, or `{"node", "input"}` sends; `update` a dict or (key, value) pairs."""
    goto = command.get("goto")
    goto_list = goto if isinstance(goto, list) else [goto] if goto is not None else []
    update = command.get("update")
    if isinstance(update, list) and all(isinstance(pair, list | tuple) and len(pair) == 2 for pair in update):
        update = [tuple(pair) for pair in update]
    return Command(
        resume=command.get("resume"),
        update=update,
        goto=[target if isinstance(target, str) else Send(target["node"], target["input"]) for target in goto_list],
    )
