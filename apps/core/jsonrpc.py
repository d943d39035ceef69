"""JSON-RPC 2.0 envelopes, shared by the endpoints that speak it (MCP at /mcp, A2A at /a2a/{assistant_id})."""

from dataclasses import dataclass
from typing import Any

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602


class RpcError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Request:
    id: Any
    method: str
    params: dict[str, Any]
    is_notification: bool


def parse_request(message: Any) -> Request | None:
    """The request in a JSON-RPC 2.0 message; None for a client's response (nothing to answer).

    Raises RpcError(INVALID_REQUEST) for anything else; its `id` is the message's when it has one.
    """
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise RpcError(INVALID_REQUEST, "expected a JSON-RPC 2.0 object")
    if "method" not in message:
        return None
    method, params = message["method"], message.get("params") or {}
    if not isinstance(method, str) or not isinstance(params, dict):
        raise RpcError(INVALID_REQUEST, "method must be a string, params an object")
    return Request(message.get("id"), method, params, "id" not in message)


def request_id(message: Any) -> Any:
    return message.get("id") if isinstance(message, dict) else None


def result(request_id: Any, value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": value}


def error(request_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}
