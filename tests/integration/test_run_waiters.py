"""runs.wait and join wait on the run's end key: woken by the end alone, never left waiting."""

import asyncio
import uuid
from typing import Any

import pytest
from django.test import override_settings

from apps.core.jsonutil import dumps
from apps.core.redis import get_async_redis, get_redis
from apps.runs.sse import wait_for_end
from apps.runs.streams import END_EVENT, append_end, append_event, end_key, stream_key

END = {"status": "success", "output": {"text": "done"}, "error": None}


async def wait_while(run_id: str, produce: Any, fresh: bool = True) -> tuple[dict[str, Any], list[bool]]:
    """Wait for the run's end while `produce` writes to Redis; `produce` gets a probe telling if the wait ended."""
    waiter = asyncio.ensure_future(wait_for_end(run_id, fresh))
    seen: list[bool] = []

    async def settled() -> bool:
        await asyncio.sleep(0.2)  # room for the waiter to wake, were it woken
        seen.append(waiter.done())
        return waiter.done()

    await produce(settled)
    return await asyncio.wait_for(waiter, timeout=10), seen


@pytest.mark.django_db
def test_a_waiter_sleeps_through_events_and_wakes_on_the_end() -> None:
    run_id = str(uuid.uuid4())

    async def produce(settled: Any) -> None:
        client = get_async_redis()
        await settled()
        await append_event(client, run_id, "metadata", {"run_id": run_id})
        await append_event(client, run_id, "values", {"text": "partial"})
        await settled()
        await asyncio.to_thread(append_end, get_redis(), run_id, END)

    end, seen = asyncio.run(wait_while(run_id, produce))
    assert end == END
    assert seen == [False, False]
    assert get_redis().xlen(end_key(run_id)) == 1
    # The run's own stream still ends with the end entry, for SSE readers.
    assert get_redis().xrevrange(stream_key(run_id), count=1)[0][1][b"e"] == END_EVENT.encode()


@pytest.mark.django_db
def test_a_run_that_already_ended_answers_at_once() -> None:
    run_id = str(uuid.uuid4())
    append_end(get_redis(), run_id, END)

    async def produce(settled: Any) -> None:
        assert await settled()

    assert asyncio.run(wait_while(run_id, produce, fresh=False))[0] == END


@pytest.mark.django_db
@override_settings(SSE_HEARTBEAT_S=0.3)
def test_an_end_only_on_the_run_stream_is_found_when_idle() -> None:
    """An end written by an older build (no end key) still ends the wait, after one idle period."""
    run_id = str(uuid.uuid4())
    get_redis().xadd(stream_key(run_id), {"e": END_EVENT, "d": dumps(END)})

    async def produce(settled: Any) -> None:
        pass

    assert asyncio.run(wait_while(run_id, produce))[0] == END
