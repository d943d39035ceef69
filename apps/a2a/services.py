"""A2A (Agent-to-Agent protocol) over JSON-RPC 2.0 at /a2a/{assistant_id}, as upstream serves it.

A context (`contextId`) is a thread; a task (`id`, `"<thread_id>:<run_id>"`) is one run
on it, created through `create_run` like any other. Methods: `message/send` (the task
once its run ends), `message/stream` (server-sent JSON-RPC responses: the submitted
task, `working` status updates as the model streams, the answer as an artifact, the
final status), `tasks/get` and `tasks/cancel`. The agent card is at
`/.well-known/agent-card.json?assistant_id=`.

Text parts become a user message in the graph's `messages` (so the graph's input
must have a `messages` key, as upstream requires); data parts are merged into the input.
A message on a context whose thread waits on an interrupt resumes it instead.
"""

import datetime
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from agentplatform.handler import database_sync_to_async
from apps.assistants.models import Assistant
from apps.assistants.services import schemas_for
from apps.auth.custom_auth import authorize
from apps.core import jsonrpc
from apps.core.errors import DomainError
from apps.core.info import SERVER_VERSION
from apps.core.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from apps.core.jsonutil import dumps, loads
from apps.core.redis import get_async_redis
from apps.runs.models import Run, RunStatus
from apps.runs.services import cancel_run, create_run
from apps.runs.sse import KEEPALIVE_COMMENT, _finished_without_stream, sse_frame
from apps.runs.streams import read_entries
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import get_or_create_thread, get_thread_history

TASK_NOT_FOUND, TASK_NOT_CANCELABLE = -32001, -32002
STREAMING_METHODS = {"message/stream"}
# A2A 1.0's names of the same methods (upstream answers both).
V1_METHODS = {
    "SendMessage": "message/send",
    "SendStreamingMessage": "message/stream",
    "GetTask": "tasks/get",
    "CancelTask": "tasks/cancel",
}
RUN_STREAM_MODES = ["values", "messages"]
# Checkpoints read to tell which task added each message of a context's history.
HISTORY_CHECKPOINTS = 500
IO_MODES = ["application/json", "text/plain"]
HISTORY_SCOPE_EXTENSION = {
    "uri": "https://langchain.com/a2a/extensions/history-scope/v1",
    "description": "Choose task-only or full-context response history",
    "required": False,
    "params": {
        "header": "LangGraph-A2A-History-Scope",
        "values": ["context", "task"],
        "default": "context",
        "methods": ["SendMessage", "GetTask", "ListTasks"],
    },
}


@dataclass
class PendingTask:
    """A message/send or message/stream whose run was created: answered as the run goes and ends."""

    request_id: Any
    assistant_id: str
    run: Run
    user_message: dict[str, Any]
    v1: bool = False  # asked with A2A 1.0's method names: answered in its enums

    @property
    def task_id(self) -> str:
        return f"{self.run.thread_id}:{self.run.run_id}"

    @property
    def context_id(self) -> str:
        return str(self.run.thread_id)


# ---------------------------------------------------------------- the agent card


def agent_card(assistant_ref: str | None, endpoint_url: str) -> dict[str, Any]:
    """The assistant's agent card; `endpoint_url` is where its JSON-RPC endpoint is reached. Raises RpcError."""
    if not assistant_ref:
        raise RpcError(INVALID_PARAMS, "Missing required query parameter: assistant_id")
    try:
        assistant = _assistant(assistant_ref)
    except RpcError as exc:
        if "must be a UUID" in exc.message:
            raise RpcError(exc.code, f"Failed to get assistant '{assistant_ref}': {exc.message}") from None
        raise
    name = assistant.name or assistant.graph_id
    description = assistant.description or f"{name} assistant"
    properties = _input_properties(assistant)
    required = (schemas_for(assistant)["input_schema"] or {}).get("required") or []
    return {
        "name": name,
        "description": description,
        "url": endpoint_url,
        "supportedInterfaces": [{"url": endpoint_url, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {
            "streaming": True,
            "pushNotifications": False,
            "stateTransitionHistory": False,
            "extensions": [HISTORY_SCOPE_EXTENSION],
        },
        "defaultInputModes": IO_MODES,
        "defaultOutputModes": IO_MODES,
        "skills": [
            {
                "id": f"{assistant.assistant_id}-main",
                "name": f"{name} Capabilities",
                "description": description,
                "tags": ["assistant", "langgraph"],
                "examples": [],
                "inputModes": IO_MODES,
                "outputModes": IO_MODES,
                "metadata": {
                    "inputSchema": {
                        "required": required,
                        "properties": sorted(properties),
                        "supportsA2A": "messages" in properties,
                    }
                },
            }
        ],
        "version": SERVER_VERSION,
    }


# ---------------------------------------------------------------- JSON-RPC


def method_of(message: Any) -> str | None:
    """The method asked for, by its A2A 0.3 name."""
    method = message.get("method") if isinstance(message, dict) else None
    return V1_METHODS.get(method, method) if isinstance(method, str) else None


def handle(assistant_ref: str, message: Any) -> dict[str, Any] | PendingTask:
    """Answer one JSON-RPC request to the assistant: an answer now, or a task whose run was created."""
    try:
        request = jsonrpc.parse_request(message)
        if request is None:
            raise RpcError(jsonrpc.INVALID_REQUEST, "missing method")
    except RpcError as exc:
        return jsonrpc.error(jsonrpc.request_id(message), exc.code, _invalid_message(message, exc))
    method, v1 = V1_METHODS.get(request.method, request.method), request.method in V1_METHODS
    try:
        assistant = _assistant(assistant_ref)
        if method in ("message/send", "message/stream"):
            return _start_task(request.id, assistant, request.params, v1)
        if method == "tasks/get":
            return jsonrpc.result(request.id, in_dialect(get_task(request.params), v1))
        if method == "tasks/cancel":
            return jsonrpc.result(request.id, in_dialect(cancel_task(request.params), v1))
        raise RpcError(METHOD_NOT_FOUND, f"Method not found: {request.method}")
    except RpcError as exc:
        return jsonrpc.error(request.id, exc.code, exc.message)


def in_dialect(value: Any, v1: bool) -> Any:
    """A2A 1.0 spells roles and task states as ProtoJSON enums (`ROLE_USER`, `TASK_STATE_COMPLETED`)."""
    if not v1:
        return value
    if isinstance(value, list):
        return [in_dialect(item, v1) for item in value]
    if not isinstance(value, dict):
        return value
    converted = {}
    for key, item in value.items():
        if key == "role" and isinstance(item, str):
            converted[key] = f"ROLE_{item.upper()}"
        elif key == "state" and isinstance(item, str):
            converted[key] = f"TASK_STATE_{item.upper().replace('-', '_')}"
        elif key in ("parts", "data"):
            converted[key] = item  # the caller's own content, kept as sent
        else:
            converted[key] = in_dialect(item, v1)
    return converted


def _invalid_message(message: Any, exc: RpcError) -> str:
    if isinstance(message, dict) and message.get("jsonrpc") != "2.0":
        return "Invalid JSON-RPC message: missing or invalid jsonrpc version"
    return f"Invalid JSON-RPC message: {exc.message}"


def _assistant(assistant_ref: str) -> Assistant:
    try:
        assistant_id = uuid.UUID(str(assistant_ref))
    except ValueError:
        raise RpcError(INVALID_PARAMS, "Invalid assistant ID: must be a UUID") from None
    authorize("assistants", "read", {"assistant_id": str(assistant_id)})
    assistant = Assistant.objects.filter(pk=assistant_id).first()
    if assistant is None:
        raise RpcError(INVALID_PARAMS, f"Assistant '{assistant_id}' not found")
    return assistant


def _input_properties(assistant: Assistant) -> set[str]:
    return set(((schemas_for(assistant)["input_schema"] or {}).get("properties") or {}).keys())


# ---------------------------------------------------------------- message/send, message/stream


def _start_task(request_id: Any, assistant: Assistant, params: dict[str, Any], v1: bool) -> PendingTask:
    message = params.get("message")
    if not isinstance(message, dict):
        raise RpcError(INVALID_PARAMS, "Invalid request: Missing required parameter: message")
    parts = message.get("parts")
    if not isinstance(parts, list) or not parts:
        raise RpcError(INVALID_PARAMS, "Message must contain at least one part")
    message_id = message.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise RpcError(INVALID_PARAMS, "Invalid request: Missing required parameter: messageId")
    text, data = _read_parts(parts)
    if text is not None and "messages" not in (properties := _input_properties(assistant)):
        raise RpcError(
            INVALID_PARAMS,
            f"Assistant '{assistant.assistant_id}' (graph '{assistant.graph_id}') does not support A2A "
            "conversational messages. Graph input schema must include a 'messages' field to accept text or "
            f"file parts. Available input fields: {sorted(properties)}",
        )
    thread_id = _context(message.get("contextId"))
    payload: dict[str, Any] = {
        "assistant_id": str(assistant.assistant_id),
        "stream_mode": RUN_STREAM_MODES,
        "if_not_exists": "create",
        "metadata": {"a2a_message_id": message_id},
    }
    if Thread.objects.filter(pk=thread_id, status=ThreadStatus.INTERRUPTED).exists():
        payload["command"] = {"resume": _resume_value(text, data)}
    else:
        user_message = [{"role": "user", "content": text, "id": message_id}] if text is not None else []
        payload["input"] = {**({"messages": user_message} if user_message else {}), **data}
    authorize("threads", "create_run", payload)
    try:
        get_or_create_thread(thread_id)
        run = create_run(payload, thread_id)
    except DomainError as exc:
        raise RpcError(INVALID_PARAMS, exc.detail) from exc
    task_id = f"{thread_id}:{run.run_id}"
    user = {
        "kind": "message",
        "role": "user",
        "parts": parts,
        "messageId": message_id,
        "taskId": task_id,
        "contextId": str(thread_id),
    }
    return PendingTask(request_id, str(assistant.assistant_id), run, user, v1)


def _read_parts(parts: list[Any]) -> tuple[str | None, dict[str, Any]]:
    """The text of the text parts (None without any), and the data parts merged."""
    texts: list[str] = []
    data: dict[str, Any] = {}
    for part in parts:
        kind = _part_kind(part) if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "data" and isinstance(part.get("data"), dict):
            data.update(part["data"])
        elif kind == "file":
            raise RpcError(INVALID_PARAMS, "File parts are not supported")
        else:
            raise RpcError(INVALID_PARAMS, f"Invalid message part: {part!r}")
    return ("\n".join(texts) if texts else None), data


def _part_kind(part: dict[str, Any]) -> str | None:
    """0.3 parts name their kind; 1.0 parts are known by their field."""
    return part.get("kind") or next((kind for kind in ("text", "data", "file") if kind in part), None)


def _resume_value(text: str | None, data: dict[str, Any]) -> Any:
    """What resumes an interrupted context: a data part's `resume` list (by interrupt id), else the text."""
    resume = data.get("resume")
    if isinstance(resume, list) and all(isinstance(r, dict) and "id" in r for r in resume):
        return {r["id"]: r.get("value") for r in resume}
    return text if text is not None else data


def _context(context_id: Any) -> uuid.UUID:
    if context_id is None:
        return uuid.uuid4()
    try:
        return uuid.UUID(str(context_id))
    except ValueError:
        raise RpcError(INVALID_PARAMS, f"Invalid contextId: {context_id!r} is not a UUID") from None


@database_sync_to_async
def _context_history(thread_id: str) -> list[dict[str, Any]]:
    return context_history(thread_id)


async def task_result(pending: PendingTask, end: dict[str, Any]) -> bytes:
    """message/send's answer: the task as its run ended, with the context's history."""
    state = _state(end)
    task: dict[str, Any] = {
        "kind": "task",
        "id": pending.task_id,
        "contextId": pending.context_id,
        "history": await _context_history(pending.context_id),
        "status": _status(pending, state, end),
    }
    if state == "completed":
        task["artifacts"] = [_artifact(pending, end)]
    return dumps(jsonrpc.result(pending.request_id, in_dialect(_wrapped_task(pending, task), pending.v1)))


async def task_events(pending: PendingTask) -> AsyncIterator[bytes]:
    """message/stream's SSE: the submitted task, `working` updates per streamed token, artifact, final status."""
    submitted = {
        "kind": "task",
        "id": pending.task_id,
        "contextId": pending.context_id,
        "history": [pending.user_message],
        "status": {"state": "submitted", "timestamp": _now()},
    }
    yield _frame(pending, _wrapped_task(pending, submitted))
    end: dict[str, Any] | None = None
    run_id = str(pending.run.run_id)
    async for entry in read_entries(get_async_redis(), run_id, "0", settings.SSE_HEARTBEAT_S):
        if entry is None:
            if (end := await _finished_without_stream(run_id)) is not None:
                break
            yield KEEPALIVE_COMMENT
        elif entry.is_end:
            end = entry.end_payload()
        elif entry.event == "messages/partial" and (text := _ai_text(loads(entry.data))):
            yield _frame(pending, _status_update(pending, {"state": "working", "message": _agent(pending, text)}))
    if end is None:
        return
    state = _state(end)
    if state == "completed":
        artifact = {"artifact": _artifact(pending, end), "append": False, "lastChunk": True}
        yield _frame(
            pending, {"taskId": pending.task_id, "contextId": pending.context_id, "kind": "artifact-update", **artifact}
        )
    yield _frame(pending, _status_update(pending, _status(pending, state, end), final=True))


def _frame(pending: PendingTask, result: dict[str, Any]) -> bytes:
    return sse_frame("message", dumps(jsonrpc.result(pending.request_id, in_dialect(result, pending.v1))))


def _wrapped_task(pending: PendingTask, task: dict[str, Any]) -> dict[str, Any]:
    return {"task": task} if pending.v1 else task


def _status_update(pending: PendingTask, status: dict[str, Any], final: bool = False) -> dict[str, Any]:
    status = {**status, "timestamp": status.get("timestamp") or _now()}
    return {
        "taskId": pending.task_id,
        "contextId": pending.context_id,
        "kind": "status-update",
        "status": status,
        "final": final,
    }


def _status(pending: PendingTask, state: str, end: dict[str, Any]) -> dict[str, Any]:
    status: dict[str, Any] = {"state": state, "timestamp": _now()}
    if state in ("failed", "input-required"):
        status["message"] = _agent(pending, _status_text(state, end))
    return status


def _artifact(pending: PendingTask, end: dict[str, Any]) -> dict[str, Any]:
    output = end.get("output")
    text = _ai_text(output.get("messages")) if isinstance(output, dict) else None
    return {
        "artifactId": str(uuid.uuid4()),
        "name": "Assistant Response",
        "description": f"Response from assistant {pending.assistant_id}",
        "parts": [{"kind": "text", "text": text if text is not None else dumps(output).decode()}],
    }


def _agent(pending: PendingTask, text: str) -> dict[str, Any]:
    return {
        "kind": "message",
        "role": "agent",
        "parts": [{"kind": "text", "text": text}],
        "messageId": str(uuid.uuid4()),
        "taskId": pending.task_id,
        "contextId": pending.context_id,
    }


# ---------------------------------------------------------------- tasks/get, tasks/cancel


def get_task(params: dict[str, Any]) -> dict[str, Any]:
    run = _task_run(params)
    history_length = params.get("historyLength")
    if history_length is not None and (isinstance(history_length, bool) or not isinstance(history_length, int)):
        raise RpcError(INVALID_PARAMS, "historyLength must be an integer")
    return _task_of_run(run, history_length)


def cancel_task(params: dict[str, Any]) -> dict[str, Any]:
    """Cancel the task's run if it has not ended; RpcError(TASK_NOT_CANCELABLE) once it has."""
    run = _task_run(params)
    if run.is_terminal:
        raise RpcError(TASK_NOT_CANCELABLE, "Task is not cancelable in its current state")
    authorize("threads", "update", {"thread_id": str(run.thread_id), "run_id": str(run.run_id)})
    cancel_run(run.thread_id, run.run_id)
    task = _task_of_run(run, None)
    task["status"] = {"state": "canceled", "timestamp": _now()}
    return task


def _task_run(params: dict[str, Any]) -> Run:
    task_id = params.get("id")
    if not isinstance(task_id, str) or not task_id:
        raise RpcError(INVALID_PARAMS, "Invalid request: Missing required parameter: id")
    thread_ref, _, run_ref = task_id.partition(":")
    try:
        thread_id, run_id = uuid.UUID(thread_ref), uuid.UUID(run_ref)
    except ValueError:
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}") from None
    context_id = params.get("contextId")
    if context_id is not None and str(context_id) != str(thread_id):
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    # The filter the auth handler gives scopes the look-up to the user's threads.
    authorize("threads", "read", {"thread_id": str(thread_id), "run_id": str(run_id)})
    run = Run.objects.filter(pk=run_id, thread_id=thread_id).first()
    if run is None:
        raise RpcError(TASK_NOT_FOUND, f"Task not found: {task_id}")
    return run


def _task_of_run(run: Run, history_length: int | None) -> dict[str, Any]:
    task_id, context_id = f"{run.thread_id}:{run.run_id}", str(run.thread_id)
    pending = PendingTask(None, str(run.assistant_id), run, {})
    state = RUN_STATES.get(run.status, "working")
    end = {"status": run.status, "error": run.error, "output": None}
    status: dict[str, Any] = {"state": state, "timestamp": run.updated_at.isoformat()}
    if state in ("completed", "failed", "canceled"):
        status["message"] = _agent(pending, _status_text(state, end))
        del status["message"]["contextId"]  # as upstream's
    history = context_history(context_id)
    if history_length is not None:
        history = history[-history_length:] if history_length > 0 else []
    return {"kind": "task", "id": task_id, "contextId": context_id, "status": status, "history": history}


RUN_STATES = {
    RunStatus.PENDING: "submitted",
    RunStatus.RUNNING: "working",
    RunStatus.SUCCESS: "completed",
    RunStatus.ERROR: "failed",
    RunStatus.TIMEOUT: "failed",
    RunStatus.INTERRUPTED: "canceled",
}


# ---------------------------------------------------------------- shared


def context_history(thread_id: str) -> list[dict[str, Any]]:
    """The context's conversation as A2A messages, each with the task (run) that added it.

    A message belongs to the run of the oldest checkpoint that holds it.
    """
    try:
        states = get_thread_history(uuid.UUID(thread_id), limit=HISTORY_CHECKPOINTS)
    except DomainError:
        return []
    task_of: dict[str, str] = {}
    for state in reversed(states):
        run_id = (state.get("metadata") or {}).get("run_id")
        for message in _messages(state.get("values")):
            if run_id and message.get("id") is not None:
                task_of.setdefault(str(message["id"]), f"{thread_id}:{run_id}")
    latest = _messages(states[0].get("values")) if states else []
    history = []
    for message in latest:
        role = {"human": "user", "ai": "agent"}.get(message.get("type"))
        text = _text(message.get("content"))
        if role is None or text is None:
            continue
        entry = {"kind": "message", "role": role, "parts": [{"kind": "text", "text": text}]}
        entry["messageId"] = str(message.get("id"))
        if (task_id := task_of.get(str(message.get("id")))) is not None:
            entry["taskId"] = task_id
        entry["contextId"] = thread_id
        history.append(entry)
    return history


def _messages(values: Any) -> list[dict[str, Any]]:
    messages = values.get("messages") if isinstance(values, dict) else None
    return [m for m in messages or [] if isinstance(m, dict)]


def _state(end: dict[str, Any]) -> str:
    status = end.get("status")
    if status == RunStatus.SUCCESS:
        output = end.get("output")
        return "input-required" if isinstance(output, dict) and output.get("__interrupt__") else "completed"
    return RUN_STATES.get(status, "failed")


def _status_text(state: str, end: dict[str, Any]) -> str:
    if state == "completed":
        return "Task completed successfully"
    if state == "canceled":
        return "Task was canceled"
    if state == "input-required":
        interrupts = (end.get("output") or {}).get("__interrupt__") or []
        values = [i.get("value") for i in interrupts if isinstance(i, dict)]
        value = values[0] if len(values) == 1 else values
        return value if isinstance(value, str) else dumps(value).decode()
    error = end.get("error") or {}
    return f"Task failed: {error.get('message') or error.get('error') if isinstance(error, dict) else error}"


def _ai_text(messages: Any) -> str | None:
    """The text of the last message if it is the agent's (a model's answer)."""
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    last = messages[-1]
    if last.get("type") not in ("ai", "AIMessageChunk"):
        return None
    return _text(last.get("content"))


def _text(content: Any) -> str | None:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return None


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()
