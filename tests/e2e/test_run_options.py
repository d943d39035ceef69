"""Run options through the SDK: after_seconds, on_disconnect / cancel_on_disconnect, /runs/batch."""

import asyncio
import time

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError

from tests.e2e.conftest import run

QUICK = {"configurable": {"delay": 0}}
LONG = {"configurable": {"delay": 30}}


def test_after_seconds_delays_the_start(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        started = time.monotonic()
        delayed = await client.runs.create(thread_id, "slow", input={"steps": []}, config=QUICK, after_seconds=1.5)
        await asyncio.sleep(0.5)
        assert (await client.runs.get(thread_id, delayed["run_id"]))["status"] == "pending"
        # Another thread's run is not held up by it.
        other = await client.runs.wait(None, "slow", input={"steps": ["now"]}, config=QUICK)
        assert other["steps"] == ["now", "slept", "finished"]
        await client.runs.join(thread_id, delayed["run_id"])
        assert time.monotonic() - started >= 1.5
        assert (await client.runs.get(thread_id, delayed["run_id"]))["status"] == "success"

        # A long delay can be cancelled before it starts.
        later = await client.runs.create(thread_id, "slow", input={"steps": []}, config=QUICK, after_seconds=3600)
        await client.runs.cancel(thread_id, later["run_id"])
        assert (await client.runs.get(thread_id, later["run_id"]))["status"] == "interrupted"
        with pytest.raises(UnprocessableEntityError, match="after_seconds"):
            await client.runs.create(thread_id, "slow", input={}, after_seconds=-1)

    run(main())


async def wait_for_status(client, thread_id: str, run_id: str, status: str, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while (seen := (await client.runs.get(thread_id, run_id))["status"]) != status:
        assert time.monotonic() < deadline, f"run never became {status}: still {seen}"
        await asyncio.sleep(0.1)


def test_on_disconnect_cancel_stops_the_run_when_the_client_leaves(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        for on_disconnect, expected in (("cancel", "interrupted"), ("continue", "running")):
            thread_id = (await client.threads.create())["thread_id"]
            stream = client.runs.stream(
                thread_id, "slow", input={"steps": []}, config=LONG, on_disconnect=on_disconnect
            )
            first = await anext(stream)
            run_id = first.data["run_id"]
            await stream.aclose()  # hang up mid-run
            await wait_for_status(client, thread_id, run_id, expected)
            if expected == "running":
                await client.runs.cancel(thread_id, run_id, wait=True)

        # /wait with on_disconnect=cancel: an HTTP client that times out is a client that left.
        thread_id = (await client.threads.create())["thread_id"]
        body = {"assistant_id": "slow", "input": {"steps": []}, "config": LONG, "on_disconnect": "cancel"}
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{url}/threads/{thread_id}/runs/wait", json=body, timeout=1.0)
        runs = await client.runs.list(thread_id)
        await wait_for_status(client, thread_id, runs[0]["run_id"], "interrupted")

    run(main())


def test_join_stream_cancel_on_disconnect(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        created = await client.runs.create(thread_id, "slow", input={"steps": []}, config=LONG)
        stream = client.runs.join_stream(thread_id, created["run_id"], cancel_on_disconnect=True)
        await anext(stream)
        await stream.aclose()
        await wait_for_status(client, thread_id, created["run_id"], "interrupted")

    run(main())


def test_runs_batch_creates_all_or_none(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        runs = await client.runs.create_batch(
            [
                {"assistant_id": "slow", "input": {"steps": ["one"]}, "config": QUICK, "on_completion": "keep"},
                {"assistant_id": "slow", "input": {"steps": ["two"]}, "config": QUICK, "on_completion": "keep"},
            ]
        )
        assert len(runs) == 2 and len({r["thread_id"] for r in runs}) == 2
        outputs = [await client.runs.join(r["thread_id"], r["run_id"]) for r in runs]
        assert [o["steps"][0] for o in outputs] == ["one", "two"]

        before = await client.runs.search() if hasattr(client.runs, "search") else None
        with pytest.raises(NotFoundError):
            await client.runs.create_batch(
                [
                    {"assistant_id": "slow", "input": {"steps": ["three"]}, "config": QUICK, "on_completion": "keep"},
                    {"assistant_id": "00000000-0000-0000-0000-000000000009", "input": {}},
                ]
            )
        found = httpx.post(f"{url}/runs/search", json={"limit": 100}).json()
        assert not [r for r in found if (r["kwargs"].get("input") or {}).get("steps") == ["three"]]
        assert before is None
        with pytest.raises(UnprocessableEntityError):
            await client.runs.create_batch([{"assistant_id": "slow", "no_such_field": 1}])

    run(main())
