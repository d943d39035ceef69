"""Commands of the thread-centric streaming protocol (`POST /threads/{id}/commands`), as upstream answers them.

`run.start` and `input.respond` create ordinary runs through `create_run`
(streaming what `apps/runs/protocol.py` translates); their events are read on
`POST /threads/{id}/stream/events`. Every answer is a protocol envelope:
`{"type": "success", "id", "result", "meta"}` or `{"type": "error", "id", "error", "message"}`.
"""

import uuid
from typing import Any

from apps.auth.custom_auth import Forbidden, HandlerDenied, authorize
from apps.core.errors import BadRequest, DomainError
from apps.runs.models import IN_FLIGHT_STATUSES, Run
from apps.runs.protocol import RUN_STREAM_MODES
from apps.runs.services import create_run
from apps.threads.models import Thread
from apps.threads.services import get_or_create_thread


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def parse_envelope(body: Any) -> tuple[int, str, dict[str, Any]]:
    """(id, method, params). Raises BadRequest with the protocol's error body (upstream answers 400)."""
    command_id = body.get("id") if isinstance(body, dict) else None
    method = body.get("method") if isinstance(body, dict) else None
    if isinstance(command_id, bool) or not isinstance(command_id, int) or not isinstance(method, str):
        raise BadRequest("Protocol commands must include an integer id and string method.")
    params = body.get("params") or {}
    return command_id, method, params if isinstance(params, dict) else {}


def error_envelope(command_id: int | None, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": command_id, "error": code, "message": message}


def handle_command(thread_id: uuid.UUID, command_id: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one command on the thread; the answer envelope (errors included, as upstream: HTTP 200)."""
    handler = HANDLERS.get(method)
    if handler is None:
        return error_envelope(command_id, "unknown_command", f"Unknown protocol command: {method}")
    try:
        result = handler(thread_id, params)
    except CommandError as exc:
        return error_envelope(command_id, exc.code, exc.message)
    except (Forbidden, HandlerDenied):
        raise  # an HTTP answer, as for every other endpoint
    except DomainError as exc:
        return error_envelope(command_id, "unknown_error", f"{exc.status_code}: {exc.detail}")
    # The SDK moves its reconnect cursor to `applied_through_seq`; upstream answers 0 (replay from the start).
    return {"type": "success", "id": command_id, "result": result, "meta": {"applied_through_seq": 0}}


def start_run(thread_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """run.start: a run on the thread (created if new), streaming what the protocol translates."""
    assistant_id = params.get("assistant_id")
    if not isinstance(assistant_id, str) or not assistant_id:
        raise CommandError("invalid_argument", "run.start requires an assistant_id.")
    payload = {
        "assistant_id": assistant_id,
        "input": params.get("input"),
        "config": _object(params, "config"),
        "metadata": _object(params, "metadata"),
    }
    return {"run_id": str(_create(thread_id, payload).run_id)}


def respond_to_input(thread_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """input.respond: resume the thread's pending interrupts (one, or several with `responses`)."""
    responses = params.get("responses")
    if responses is None:
        responses = [params]
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses) or not responses:
        raise CommandError("invalid_argument", "input.respond requires interrupt_id and response, or responses.")
    thread = Thread.objects.filter(pk=thread_id).first()
    pending = {i.get("id") for task in (thread.interrupts or {}).values() for i in task} if thread else set()
    resume = {}
    for response in responses:
        interrupt_id = response.get("interrupt_id")
        if not isinstance(interrupt_id, str) or interrupt_id not in pending:
            raise CommandError("no_such_interrupt", f"Unknown or already-consumed interrupt: {interrupt_id}")
        resume[interrupt_id] = response.get("response")
    command: dict[str, Any] = {"resume": resume}
    for key in ("update", "goto"):
        if params.get(key) is not None:
            command[key] = params[key]
    payload = {
        "assistant_id": thread.metadata.get("assistant_id") or thread.metadata.get("graph_id"),
        "command": command,
        "config": _object(params, "config"),
        "metadata": _object(params, "metadata"),
    }
    _create(thread_id, payload)
    return {}


def subscribe(thread_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """Over HTTP the event stream's request body is the subscription: accepted, as upstream does."""
    return {"subscription_id": str(uuid.uuid4()), "replayed_events": 0}


def unsubscribe(thread_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    return {}


def needs_active_run(thread_id: uuid.UUID, params: dict[str, Any]) -> dict[str, Any]:
    """agent.getTree, subscription.reconnect: bound to a live run; the tree itself is not implemented."""
    if not Run.objects.filter(thread_id=thread_id, status__in=IN_FLIGHT_STATUSES).exists():
        raise CommandError("no_such_run", "No active run is bound to this thread.")
    raise CommandError("not_supported", "This command is not supported by this server.")


def _create(thread_id: uuid.UUID, payload: dict[str, Any]) -> Run:
    payload = {key: value for key, value in payload.items() if value is not None}
    payload.update(stream_mode=RUN_STREAM_MODES, stream_subgraphs=True, if_not_exists="create")
    # First: the filter the handler gives is what makes the thread look-ups below the user's.
    authorize("threads", "create_run", payload)
    get_or_create_thread(thread_id)
    return create_run(payload, thread_id)


def _object(params: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = params.get(name)
    if value is not None and not isinstance(value, dict):
        raise CommandError("invalid_argument", f"{name} must be an object.")
    return value


HANDLERS = {
    "run.start": start_run,
    "input.respond": respond_to_input,
    "subscription.subscribe": subscribe,
    "subscription.unsubscribe": unsubscribe,
    "subscription.reconnect": needs_active_run,
    "agent.getTree": needs_active_run,
}
