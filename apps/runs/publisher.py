"""Batches a run's stream events into pipelined XADDs, in order.

A round trip to Redis costs ~0.7 ms (bench/HISTORY.md); a token-streaming run emits dozens
of events, so the executor hands events to this publisher and moves on. One
writer task flushes whatever has accumulated in a single pipeline.
"""

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

from apps.core.jsonutil import dumps
from apps.runs.streams import announce_run, stream_key

logger = logging.getLogger(__name__)


class EventPublisher:
    def __init__(self, client: aioredis.Redis, run_id: str, thread_id: str | None = None, attempt: int = 1) -> None:
        self.client = client
        self.key = stream_key(run_id)
        self._pending: list[tuple[str, bytes]] = []
        self._wakeup = asyncio.Event()
        self._closed = False
        self.dropped = 0
        # The run's start is announced on its thread's stream in the first batch: no extra round trip.
        self._announce = (thread_id, {"r": run_id, "a": str(attempt)}) if thread_id else None
        self._writer = asyncio.ensure_future(self._write_forever())
        if self._announce:
            self._wakeup.set()

    def publish(self, event: str, data: Any) -> None:
        self._pending.append((event, dumps(data)))
        self._wakeup.set()

    async def close(self) -> None:
        """Flush everything published so far (events Redis refused are counted in `dropped`)."""
        self._closed = True
        self._wakeup.set()
        await self._writer

    async def _write_forever(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if self._pending or self._announce:
                batch, self._pending = self._pending, []
                await self._write(batch)
            if self._closed and not self._pending:
                return

    async def _write(self, batch: list[tuple[str, bytes]]) -> None:
        pipe = self.client.pipeline(transaction=False)
        if self._announce:
            thread_id, fields = self._announce
            self._announce = None
            announce_run(pipe, thread_id, fields)
        for event, data in batch:
            pipe.xadd(self.key, {"e": event, "d": data}, maxlen=settings.RUN_STREAM_MAXLEN, approximate=True)
        try:
            await pipe.execute()
        except RedisError:
            # Live events are best effort: a Redis outage must not fail the run, whose
            # state and outcome live in PostgreSQL.
            self.dropped += len(batch)
            logger.warning("dropped %d stream events of %s: Redis unavailable", len(batch), self.key)
