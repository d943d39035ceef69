"""Run event streams: one capped Redis stream per run, read with blocking XREAD.

The worker appends `(event, data)` entries while the graph runs and a final
`__end__` entry (carrying the terminal status and output) after the run's
status is committed to PostgreSQL. Readers replay from the start or from a
Last-Event-ID, then block for live entries: no polling.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings

from apps.core.jsonutil import dumps, loads

END_EVENT = "__end__"
NEVER_STARTED = "0"  # the attempt a thread's stream announces for a run cancelled before it started
READ_BATCH = 256


def stream_key(run_id: str) -> str:
    return f"run:{run_id}:events"


def end_key(run_id: str) -> str:
    """A one-entry stream holding only the run's end: what runs.wait and join block on."""
    return f"run:{run_id}:end"


def thread_stream_key(thread_id: str) -> str:
    """The runs a thread started, in order: what `GET /threads/{id}/stream` follows."""
    return f"thread:{thread_id}:runs"


def announce_run(pipe: Any, thread_id: str, fields: dict[str, str]) -> None:
    """Queue, on a pipeline, the entry telling a thread's stream that a run started."""
    key = thread_stream_key(thread_id)
    pipe.xadd(key, fields, maxlen=settings.THREAD_STREAM_MAXLEN, approximate=True)
    pipe.expire(key, settings.THREAD_STREAM_TTL_S)


@dataclass(frozen=True)
class StreamEntry:
    id: str
    event: str
    data: bytes  # JSON

    @property
    def is_end(self) -> bool:
        return self.event == END_EVENT

    def end_payload(self) -> dict[str, Any]:
        return loads(self.data)


async def append_event(client: aioredis.Redis, run_id: str, event: str, data: Any) -> None:
    await client.xadd(
        stream_key(run_id),
        {"e": event, "d": dumps(data)},
        maxlen=settings.RUN_STREAM_MAXLEN,
        approximate=True,
    )


def append_end(client: redis.Redis, run_id: str, payload: dict[str, Any], announce_on: str | None = None) -> None:
    """Close a run's stream, and write its end key; both expire after RUN_STREAM_TTL_S.

    Waiters block on the end key alone: woken once, by the end, not by each event
    the run streams before it (and without parsing them). One pipeline, one round trip.
    `announce_on`: the thread of a run that never started (cancelled while pending),
    announced there first so that the thread's followers see it end.
    """
    key, data = stream_key(run_id), dumps(payload)
    pipe = client.pipeline(transaction=False)
    if announce_on is not None:
        announce_run(pipe, announce_on, {"r": run_id, "a": NEVER_STARTED})
    pipe.xadd(key, {"e": END_EVENT, "d": data}, maxlen=settings.RUN_STREAM_MAXLEN, approximate=True)
    pipe.expire(key, settings.RUN_STREAM_TTL_S)
    pipe.xadd(end_key(run_id), {"e": END_EVENT, "d": data})
    pipe.expire(end_key(run_id), settings.RUN_STREAM_TTL_S)
    pipe.execute()


def _decode(raw_id: bytes, fields: dict[bytes, bytes]) -> StreamEntry:
    return StreamEntry(raw_id.decode(), fields[b"e"].decode(), fields[b"d"])


async def tail(
    client: aioredis.Redis, key: str, after_id: str = "0", block_s: float = 10.0
) -> AsyncIterator[tuple[str, dict[bytes, bytes]] | None]:
    """A stream's entries `(id, fields)` after `after_id`, then live ones, with blocking XREADs;
    None after each idle `block_s`. Endless: the caller stops reading."""
    block_ms = max(1, int(block_s * 1000))
    while True:
        response = await client.xread({key: after_id}, count=READ_BATCH, block=block_ms)
        if not response:
            yield None
            continue
        for raw_id, fields in response[0][1]:
            after_id = raw_id.decode()
            yield after_id, fields


async def read_entries(
    client: aioredis.Redis, run_id: str, after_id: str = "0", block_s: float = 10.0
) -> AsyncIterator[StreamEntry | None]:
    """Entries after `after_id`, then live ones; yields None after each idle `block_s`.

    Stops after the end entry. The caller decides what an idle period means
    (heartbeat, or checking that the run still exists).
    """
    entries = tail(client, stream_key(run_id), after_id or "0", block_s)
    try:
        async for item in entries:
            entry = None if item is None else StreamEntry(item[0], item[1][b"e"].decode(), item[1][b"d"])
            yield entry
            if entry is not None and entry.is_end:
                return
    finally:
        await entries.aclose()


async def read_end(client: aioredis.Redis, run_id: str, block_s: float) -> StreamEntry | None:
    """The run's end entry, waiting up to `block_s` for it; None if it did not come."""
    response = await client.xread({end_key(run_id): "0"}, count=1, block=max(1, int(block_s * 1000)))
    return _decode(*response[0][1][0]) if response else None


async def stream_exists(client: aioredis.Redis, run_id: str) -> bool:
    return bool(await client.exists(stream_key(run_id)))


async def last_end_entry(client: aioredis.Redis, run_id: str) -> StreamEntry | None:
    """The end entry if the run's stream is already closed."""
    newest = await client.xrevrange(stream_key(run_id), count=1)
    if newest:
        entry = _decode(*newest[0])
        if entry.is_end:
            return entry
    return None
