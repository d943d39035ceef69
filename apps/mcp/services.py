"""MCP (Model Context Protocol) over streamable HTTP, stateless, as upstream serves it at /mcp:
every assistant is a tool; calling one runs it statelessly and answers with its output.

JSON-RPC 2.0 in, JSON-RPC 2.0 out (one message or a batch); notifications get no answer.
"""

from dataclasses import dataclass
from typing import Any

from apps.assistants.models import Assistant
from apps.assistants.services import schemas_for
from apps.auth.custom_auth import authorize
from apps.core import jsonrpc
from apps.core.errors import DomainError
from apps.core.info import SERVER_VERSION
from apps.core.jsonrpc import INVALID_PARAMS, METHOD_NOT_FOUND, RpcError
from apps.core.jsonutil import dumps
from apps.runs.models import Run
from apps.runs.services import create_run

PROTOCOL_VERSION = "2025-03-26"
MAX_TOOLS = 200


@dataclass
class PendingCall:
    """A tools/call whose run was created: the answer comes when the run ends (see `tool_result`)."""

    request_id: Any
    run: Run


def handle(message: Any) -> dict[str, Any] | PendingCall | None:
    """Answer one JSON-RPC message (None for a notification or a client's response)."""
    try:
        request = jsonrpc.parse_request(message)
    except RpcError as exc:
        if isinstance(message, dict) and message.get("jsonrpc") == "2.0" and "id" not in message:
            return None  # a malformed notification: nobody to answer
        return jsonrpc.error(jsonrpc.request_id(message), exc.code, exc.message)
    if request is None:  # a response to something we never asked: accepted, nothing to say
        return None
    try:
        if request.method == "tools/call" and not request.is_notification:
            return PendingCall(request.id, _start_tool_call(request.params))
        answer = _dispatch(request.method, request.params)
    except RpcError as exc:
        return None if request.is_notification else jsonrpc.error(request.id, exc.code, exc.message)
    return None if request.is_notification else jsonrpc.result(request.id, answer)


def tool_result(call: PendingCall, end: dict[str, Any]) -> dict[str, Any]:
    """The tools/call answer from the run's end payload: its output as text, or its error."""
    failed = end.get("error") is not None
    text = dumps(end["error"] if failed else end.get("output")).decode()
    result = {"content": [{"type": "text", "text": text}], "isError": failed}
    return jsonrpc.result(call.request_id, result)


def _dispatch(method: str, params: dict[str, Any]) -> Any:
    if method == "initialize":
        return {
            "protocolVersion": params.get("protocolVersion") or PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "agentplatform", "version": SERVER_VERSION},
        }
    if method == "ping" or method.startswith("notifications/"):
        return {}
    if method == "tools/list":
        return {"tools": [_tool(name, assistant) for name, assistant in _tools().items()]}
    raise RpcError(METHOD_NOT_FOUND, f"method not found: {method}")


def _tools() -> dict[str, Assistant]:
    """Tool name -> assistant: the assistant's name, or its graph id, made unique."""
    authorize("assistants", "search", {})
    tools: dict[str, Assistant] = {}
    for assistant in Assistant.objects.order_by("created_at")[:MAX_TOOLS]:
        name = assistant.name or assistant.graph_id
        if name in tools:
            name = f"{name}-{str(assistant.assistant_id)[:8]}"
        tools[name] = assistant
    return tools


def _tool(name: str, assistant: Assistant) -> dict[str, Any]:
    description = (assistant.metadata or {}).get("description") or f"Runs the '{assistant.graph_id}' agent."
    schema = schemas_for(assistant)["input_schema"] or {"type": "object"}
    return {"name": name, "description": description, "inputSchema": schema}


def _start_tool_call(params: dict[str, Any]) -> Run:
    name, arguments = params.get("name"), params.get("arguments") or {}
    assistant = _tools().get(name) if isinstance(name, str) else None
    if assistant is None:
        raise RpcError(INVALID_PARAMS, f"unknown tool: {name!r}")
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "arguments must be an object")
    payload = {"assistant_id": str(assistant.assistant_id), "input": arguments}
    authorize("threads", "create_run", payload)
    try:
        return create_run(payload)
    except DomainError as exc:
        raise RpcError(INVALID_PARAMS, exc.detail) from exc
