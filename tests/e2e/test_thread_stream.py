"""GET /threads/{id}/stream through the SDK: every run of a thread, live, resumable."""

import asyncio

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError

from tests.e2e.conftest import run

FAST = {"configurable": {"delay": 0.2}}


async def collect_until_runs_done(stream, runs: int, timeout_s: float = 30.0) -> list:
    """Read the (endless) thread stream until `runs` runs reported run_done."""
    events = []

    async def read() -> None:
        done = 0
        async for part in stream:
            events.append(part)
            if part.event == "metadata" and part.data.get("status") == "run_done":
                done += 1
                if done == runs:
                    return

    try:
        await asyncio.wait_for(read(), timeout_s)
    finally:
        await stream.aclose()  # the stream never ends by itself: hang up
    return events


def test_thread_stream_follows_every_run_and_resumes(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        stream = await client.threads.join_stream(thread_id)

        async def two_runs() -> list[str]:
            await asyncio.sleep(0.5)  # the follower is listening by now
            first = await client.runs.create(thread_id, "slow", input={"steps": ["a"]}, config=FAST)
            second = await client.runs.create(
                thread_id, "slow", input={"steps": ["b"]}, config=FAST, stream_mode=["updates"]
            )
            return [first["run_id"], second["run_id"]]

        runs_task = asyncio.ensure_future(two_runs())
        events = await collect_until_runs_done(stream, runs=2)
        run_ids = await runs_task

        starts = [e.data["run_id"] for e in events if e.event == "metadata" and "attempt" in e.data]
        ends = [e.data["run_id"] for e in events if e.event == "metadata" and e.data.get("status") == "run_done"]
        assert starts == run_ids and ends == run_ids
        names = [e.event for e in events]
        assert "values" in names and "updates" in names  # each run in its own stream modes
        values = [e.data for e in events if e.event == "values"]
        assert values[-1] == {"steps": ["a", "slept", "finished"]}
        ids = [e.id for e in events]
        assert all(ids) and len(set(ids)) == len(ids)

        # Resume after the first run's end: only the second run comes again.
        first_end = next(e for e in events if e.event == "metadata" and e.data.get("status") == "run_done")
        resumed = await collect_until_runs_done(
            await client.threads.join_stream(thread_id, last_event_id=first_end.id), runs=1
        )
        assert [e.data["run_id"] for e in resumed if e.event == "metadata"] == [run_ids[1], run_ids[1]]
        # From the start ("-"): both runs again.
        replayed = await collect_until_runs_done(await client.threads.join_stream(thread_id, last_event_id="-"), runs=2)
        assert [e.id for e in replayed] == ids

    run(main())


def test_thread_stream_lifecycle_mode_and_joining_mid_run(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        running = await client.runs.create(
            thread_id, "slow", input={"steps": ["a"]}, config={"configurable": {"delay": 1.0}}
        )
        await asyncio.sleep(0.3)
        # Joining while a run is going: that run from its start.
        events = await collect_until_runs_done(await client.threads.join_stream(thread_id), runs=1)
        assert events[0].event == "metadata" and events[0].data["run_id"] == running["run_id"]
        assert events[1].event == "values" and events[1].data == {"steps": ["a"]}

        stream = await client.threads.join_stream(thread_id, stream_mode="lifecycle")

        async def one_more() -> None:
            await asyncio.sleep(0.5)
            await client.runs.create(thread_id, "slow", input={"steps": ["b"]}, config=FAST)

        task = asyncio.ensure_future(one_more())
        lifecycle = await collect_until_runs_done(stream, runs=1)
        await task
        assert {e.event for e in lifecycle} == {"metadata"} and len(lifecycle) == 2

        with pytest.raises(NotFoundError):
            async for _ in await client.threads.join_stream("00000000-0000-0000-0000-000000000001"):
                pass
        with pytest.raises(UnprocessableEntityError):
            async for _ in await client.threads.join_stream(thread_id, stream_mode="everything"):
                pass

    run(main())
