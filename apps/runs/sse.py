"""Server-sent events and long waits over a run's Redis stream.

Both are async generators served by StreamingHttpResponse under ASGI: they
wait in the event loop on blocking XREADs, not in a thread, and not by
polling PostgreSQL (which is consulted only when a stream is missing).
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings

from apps.core.jsonutil import dumps
from apps.core.redis import get_async_redis
from apps.runs.models import Run
from apps.runs.streams import StreamEntry, last_end_entry, read_entries, stream_exists

KEEPALIVE_COMMENT = b": heartbeat\n\n"
WAIT_KEEPALIVE = b"\n"  # whitespace before a JSON body is still valid JSON


def sse_frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    head = f"event: {event}\n".encode()
    tail = f"id: {event_id}\n\n".encode() if event_id else b"\n"
    return head + b"data: " + data + b"\n" + tail


def _mode_of(event: str) -> str:
    return event.split("|", 1)[0]


def _wanted(entry: StreamEntry, modes: set[str] | None) -> bool:
    if modes is None or entry.event in ("error",):
        return True
    return _mode_of(entry.event) in modes


@sync_to_async
def _load_run(run_id: str) -> Run | None:
    return Run.objects.filter(pk=run_id).first()


async def _finished_without_stream(run_id: str) -> dict[str, Any] | None:
    """If the run is terminal but its stream is gone (expired), its end payload from the DB."""
    from apps.runs.services import run_outcome_from_db

    client = get_async_redis()
    if await stream_exists(client, run_id):
        return None
    run = await _load_run(run_id)
    if run is None:
        return {"status": "error", "output": None, "error": {"error": "NotFound", "message": "run was deleted"}}
    if run.is_terminal:
        return await sync_to_async(run_outcome_from_db)(run)
    return None


async def run_events(
    run_id: str,
    *,
    last_event_id: str | None = None,
    modes: list[str] | None = None,
    check_db_first: bool = False,
) -> AsyncIterator[bytes]:
    """SSE bytes for one run: `metadata`, the run's events, then `end` (or `error`)."""
    run = await _load_run(run_id) if check_db_first else None
    attempt = max(run.attempt, 1) if run else 1
    yield sse_frame("metadata", dumps({"run_id": run_id, "attempt": attempt}))
    wanted = {"messages" if m == "messages-tuple" else m for m in modes} if modes else None
    if check_db_first and await _finished_without_stream(run_id) is not None:
        return
    client = get_async_redis()
    after = last_event_id if last_event_id and last_event_id != "-1" else "0"
    async for entry in read_entries(client, run_id, after, settings.SSE_HEARTBEAT_S):
        if entry is None:
            if await _finished_without_stream(run_id) is not None:
                return
            yield KEEPALIVE_COMMENT
            continue
        if entry.is_end:
            return
        if _wanted(entry, wanted):
            yield sse_frame(entry.event, entry.data, entry.id)


async def wait_for_end(run_id: str, fresh: bool = False) -> dict[str, Any]:
    """The run's end payload, waiting for it if needed.

    `fresh`: the run was created by this request, so it cannot have ended
    before its stream existed; skip the look-ups for an already-ended run.
    """
    client = get_async_redis()
    if not fresh:
        end = await last_end_entry(client, run_id)
        if end is not None:
            return end.end_payload()
        payload = await _finished_without_stream(run_id)
        if payload is not None:
            return payload
    async for entry in read_entries(client, run_id, "0", settings.SSE_HEARTBEAT_S):
        if entry is not None and entry.is_end:
            return entry.end_payload()
        if entry is None and (payload := await _finished_without_stream(run_id)) is not None:
            return payload
    raise RuntimeError("run stream ended without an end entry")


async def wait_body(run_id: str, fresh: bool = False) -> AsyncIterator[bytes]:
    """A JSON body with the run's output, sent once the run ends.

    The status line and headers go out at once (200); a run that fails still
    answers 200 with `{"__error__": {...}}`, as upstream does.

    While waiting, a newline is sent every SSE_HEARTBEAT_S so that proxies do
    not cut an idle connection (JSON parsers skip leading whitespace).
    """
    waiter = asyncio.ensure_future(wait_for_end(run_id, fresh))
    try:
        while True:
            done, _ = await asyncio.wait({waiter}, timeout=settings.SSE_HEARTBEAT_S)
            if done:
                break
            yield WAIT_KEEPALIVE
        yield dumps(waiter.result()["output"])
    finally:
        if not waiter.done():
            waiter.cancel()
