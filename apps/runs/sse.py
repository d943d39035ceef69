"""Server-sent events and long waits over a run's Redis stream.

Both are async generators served by StreamingHttpResponse under ASGI: they
wait in the event loop on blocking XREADs, not in a thread, and not by
polling PostgreSQL (which is consulted only when a stream is missing).
"""

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from django.conf import settings

from agentplatform.handler import database_sync_to_async
from apps.core.failures import is_transient
from apps.core.jsonutil import dumps
from apps.core.redis import get_async_redis
from apps.runs.models import Run
from apps.runs.services import run_outcome_from_db
from apps.runs.streams import (
    StreamEntry,
    last_end_entry,
    read_end,
    read_entries,
    stream_exists,
    tail,
    thread_stream_key,
)
from apps.threads.models import Thread

logger = logging.getLogger(__name__)

KEEPALIVE_COMMENT = b": heartbeat\n\n"
WAIT_KEEPALIVE = b"\n"  # whitespace before a JSON body is still valid JSON
METADATA_EVENT_ID = "0-0"  # before any Redis stream entry


def sse_frame(event: str, data: bytes, event_id: str | None = None) -> bytes:
    head = f"event: {event}\n".encode()
    tail = f"id: {event_id}\n\n".encode() if event_id else b"\n"
    return head + b"data: " + data + b"\n" + tail


async def end_on_outage(
    frames: AsyncIterator[bytes], *, json_body: bool = False, reconnect: str | None = None
) -> AsyncIterator[bytes]:
    """Pass frames on; if Redis or PostgreSQL fails midway (apps.core.failures), end with an
    error saying where to reconnect: the status line is out, a 503 no longer can be.

    The error is upstream's: an SSE `error` event, or for a JSON body (/wait, /join) the
    `{"__error__": ...}` a failed run answers with.
    """
    try:
        async for frame in frames:
            yield frame
    except Exception as exc:
        if not is_transient(exc):
            raise
        logger.warning("stream ended by an outage: %s: %s", type(exc).__name__, exc)
        hint = f"; reconnect with {reconnect}" if reconnect else ""
        message = f"{type(exc).__name__}: the stream was cut by an outage{hint}"
        error = {"error": "ServiceUnavailable", "message": message}
        yield dumps({"__error__": error}) if json_body else sse_frame("error", dumps(error))
    finally:
        await frames.aclose()


def _mode_of(event: str) -> str:
    """The API stream mode an event belongs to: `messages|ns` is messages-tuple, `messages/partial` messages."""
    base = event.split("|", 1)[0]
    if base == "messages":
        return "messages-tuple"
    return base.split("/", 1)[0]


def _wanted(entry: StreamEntry, modes: set[str] | None) -> bool:
    if modes is None or entry.event in ("error",):
        return True
    return _mode_of(entry.event) in modes


@database_sync_to_async
def _load_run(run_id: str) -> Run | None:
    return Run.objects.filter(pk=run_id).first()


async def _finished_without_stream(run_id: str) -> dict[str, Any] | None:
    """If the run is terminal but its stream is gone (expired), its end payload from the DB."""
    client = get_async_redis()
    if await stream_exists(client, run_id):
        return None
    run = await _load_run(run_id)
    if run is None:
        return {"status": "error", "output": None, "error": {"error": "NotFound", "message": "run was deleted"}}
    if run.is_terminal:
        return await database_sync_to_async(run_outcome_from_db)(run)
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
    # An id like every other event's: a client that saw only this one resumes from the start.
    yield sse_frame("metadata", dumps({"run_id": run_id, "attempt": attempt}), METADATA_EVENT_ID)
    wanted = set(modes) if modes else None
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
    if not fresh and (payload := await _ended_without_end_key(client, run_id)) is not None:
        return payload
    while (end := await read_end(client, run_id, settings.SSE_HEARTBEAT_S)) is None:
        if (payload := await _ended_without_end_key(client, run_id)) is not None:
            return payload
    return end.end_payload()


async def _ended_without_end_key(client: Any, run_id: str) -> dict[str, Any] | None:
    """The end payload of a run that ended where the end key cannot tell: on its
    stream alone (written by an older build), or so long ago that its streams expired."""
    if (end := await last_end_entry(client, run_id)) is not None:
        return end.end_payload()
    return await _finished_without_stream(run_id)


def output_json(end: dict[str, Any]) -> bytes:
    return dumps(end["output"])


async def wait_body(
    run_id: str,
    fresh: bool = False,
    render: Callable[[dict[str, Any]], bytes | Awaitable[bytes]] = output_json,
) -> AsyncIterator[bytes]:
    """A JSON body made by `render` from the run's end payload (by default its output), sent once the run ends.

    `render` may be a coroutine function (one that reads the database, through database_sync_to_async).

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
        body = render(waiter.result())
        yield await body if inspect.isawaitable(body) else body
    finally:
        if not waiter.done():
            waiter.cancel()


# ---------------------------------------------------------------- a thread's stream

THREAD_STREAM_MODES = {"run_modes", "lifecycle", "state_update"}


def _thread_wanted(event: str, modes: set[str]) -> bool:
    """run_modes: everything; lifecycle: run start/end only; state_update: those plus `values`."""
    if "run_modes" in modes or event == "metadata":
        return True
    return "state_update" in modes and _mode_of(event) == "values"


def _split_thread_event_id(last_event_id: str | None) -> tuple[str, str] | None:
    """Thread stream ids are `<thread entry id>/<run entry id>`."""
    if not last_event_id or "/" not in last_event_id:
        return None
    thread_entry, run_entry = last_event_id.split("/", 1)
    return thread_entry, run_entry


@database_sync_to_async
def _thread_exists(thread_id: str) -> bool:
    return Thread.objects.filter(pk=thread_id).exists()


async def _run_in_progress(client: Any, fields: dict[bytes, bytes]) -> bool:
    run_id = fields[b"r"].decode()
    return await last_end_entry(client, run_id) is None and await stream_exists(client, run_id)


async def _starting_point(client: Any, key: str, last_event_id: str | None) -> tuple[str, tuple | None]:
    """Where to start: (thread entry to read after, a run to finish first as (entry id, fields, after))."""
    resume = _split_thread_event_id(last_event_id)
    if resume is not None:
        thread_entry, run_entry = resume
        found = await client.xrange(key, thread_entry, thread_entry)
        return thread_entry, (found[0][0].decode(), found[0][1], run_entry) if found else None
    if last_event_id == "-":  # replay every run Redis still holds
        return "0", None
    newest = await client.xrevrange(key, count=1)
    if not newest:
        return "0", None
    entry_id, fields = newest[0][0].decode(), newest[0][1]
    if await _run_in_progress(client, fields):  # joining mid-run: that run from its start
        return entry_id, (entry_id, fields, "0")
    return entry_id, None


async def _one_run(
    client: Any, thread_entry: str, fields: dict[bytes, bytes], after: str, modes: set[str]
) -> AsyncIterator[bytes]:
    run_id = fields[b"r"].decode()
    end = await last_end_entry(client, run_id) if after != "0" else None
    if end is not None and end.id == after:  # resuming right after this run's end
        return
    if after == "0":
        start = dumps({"run_id": run_id, "attempt": int(fields.get(b"a", b"1"))})
        yield sse_frame("metadata", start, f"{thread_entry}/0-0")
    async for entry in read_entries(client, run_id, after, settings.SSE_HEARTBEAT_S):
        if entry is None:
            if await _finished_without_stream(run_id) is not None:
                return
            yield KEEPALIVE_COMMENT
        elif entry.is_end:
            done = dumps({"status": "run_done", "run_id": run_id})
            yield sse_frame("metadata", done, f"{thread_entry}/{entry.id}")
        elif _thread_wanted(entry.event, modes):
            yield sse_frame(entry.event, entry.data, f"{thread_entry}/{entry.id}")


async def thread_events(thread_id: str, *, last_event_id: str | None, modes: list[str]) -> AsyncIterator[bytes]:
    """Every run of the thread as it starts, each followed to its end; open until the thread is deleted."""
    client = get_async_redis()
    key = thread_stream_key(thread_id)
    wanted = set(modes)
    after, first_run = await _starting_point(client, key, last_event_id)
    if first_run is not None:
        async for frame in _one_run(client, *first_run, wanted):
            yield frame
    runs = tail(client, key, after, settings.SSE_HEARTBEAT_S)
    try:
        async for item in runs:
            if item is None:
                if not await _thread_exists(thread_id):
                    return
                yield KEEPALIVE_COMMENT
                continue
            async for frame in _one_run(client, *item, "0", wanted):
                yield frame
    finally:
        await runs.aclose()
