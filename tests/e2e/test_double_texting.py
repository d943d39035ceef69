"""The four multitask strategies and run cancellation, through langgraph_sdk on a live server."""

import asyncio
import time

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError

from tests.e2e.conftest import run

SLOW = {"configurable": {"delay": 30}}
QUICK = {"configurable": {"delay": 0.01}}


async def wait_status(client, thread_id: str, run_id: str, status: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (await client.runs.get(thread_id, run_id))["status"] == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never reached {status}")


def test_enqueue_runs_in_arrival_order(url: str) -> None:
    async def main() -> list[dict]:
        client = get_client(url=url)
        thread = await client.threads.create()
        runs = [await client.runs.create(thread["thread_id"], "packaged", input={"count": 1}) for _ in range(20)]
        await client.runs.join(thread["thread_id"], runs[-1]["run_id"])
        finished = [await client.runs.get(thread["thread_id"], r["run_id"]) for r in runs]
        state = await client.threads.get_state(thread["thread_id"])
        return finished, state

    finished, state = run(main())
    assert {r["status"] for r in finished} == {"success"}
    assert state["values"] == {"count": 40}
    assert [r["updated_at"] for r in finished] == sorted(r["updated_at"] for r in finished)


def test_reject_is_409_and_leaves_the_first_run_alone(url: str) -> None:
    async def main() -> tuple[int, str]:
        client = get_client(url=url)
        thread = await client.threads.create()
        first = await client.runs.create(thread["thread_id"], "slow", input={}, config={"configurable": {"delay": 1}})
        try:
            await client.runs.create(thread["thread_id"], "slow", input={}, multitask_strategy="reject")
            code = 200
        except ConflictError as error:
            code = error.response.status_code
        await client.runs.join(thread["thread_id"], first["run_id"])
        return code, (await client.runs.get(thread["thread_id"], first["run_id"]))["status"]

    assert run(main()) == (409, "success")


def test_interrupt_stops_the_running_run_and_keeps_its_progress(url: str) -> None:
    async def main() -> tuple[str, str, dict]:
        client = get_client(url=url)
        thread = await client.threads.create()
        first = await client.runs.create(thread["thread_id"], "slow", input={"steps": ["first"]}, config=SLOW)
        await wait_status(client, thread["thread_id"], first["run_id"], "running")
        values = await client.runs.wait(
            thread["thread_id"], "slow", input={"steps": ["second"]}, config=QUICK, multitask_strategy="interrupt"
        )
        status = (await client.runs.get(thread["thread_id"], first["run_id"]))["status"]
        return status, values

    status, values = run(main())
    assert status == "interrupted"
    # The first run's input was checkpointed before it was stopped, so it is kept.
    assert values["steps"] == ["first", "second", "slept", "finished"]


def test_rollback_deletes_the_running_run_and_its_progress(url: str) -> None:
    async def main() -> tuple[int, dict]:
        client = get_client(url=url)
        thread = await client.threads.create()
        first = await client.runs.create(thread["thread_id"], "slow", input={"steps": ["first"]}, config=SLOW)
        await wait_status(client, thread["thread_id"], first["run_id"], "running")
        values = await client.runs.wait(
            thread["thread_id"], "slow", input={"steps": ["second"]}, config=QUICK, multitask_strategy="rollback"
        )
        gone = httpx.get(f"{url}/threads/{thread['thread_id']}/runs/{first['run_id']}").status_code
        return gone, values

    gone, values = run(main())
    assert gone == 404
    assert values["steps"] == ["second", "slept", "finished"]


def test_cancel_with_wait_returns_after_the_run_is_terminal(url: str) -> None:
    async def main() -> tuple[str, str]:
        client = get_client(url=url)
        thread = await client.threads.create()
        created = await client.runs.create(thread["thread_id"], "slow", input={}, config=SLOW)
        await wait_status(client, thread["thread_id"], created["run_id"], "running")
        await client.runs.cancel(thread["thread_id"], created["run_id"], wait=True)
        status = (await client.runs.get(thread["thread_id"], created["run_id"]))["status"]
        thread_status = (await client.threads.get(thread["thread_id"]))["status"]
        return status, thread_status

    assert run(main()) == ("interrupted", "interrupted")


def test_cancel_without_wait_is_accepted_and_bulk_cancel_stops_pending_runs(url: str) -> None:
    async def main() -> tuple[int, list[str]]:
        client = get_client(url=url)
        thread = await client.threads.create()
        running = await client.runs.create(thread["thread_id"], "slow", input={}, config=SLOW)
        queued = [await client.runs.create(thread["thread_id"], "slow", input={}, config=QUICK) for _ in range(2)]
        # The queue first: once the running run is stopped, the worker holding the thread
        # starts the next queued run within milliseconds, before a second request could stop it.
        await client.runs.cancel_many(thread_id=thread["thread_id"], run_ids=[r["run_id"] for r in queued])
        response = httpx.post(f"{url}/threads/{thread['thread_id']}/runs/{running['run_id']}/cancel")
        await wait_status(client, thread["thread_id"], running["run_id"], "interrupted")
        statuses = [(await client.runs.get(thread["thread_id"], r["run_id"]))["status"] for r in queued]
        return response.status_code, statuses

    code, statuses = run(main())
    assert code == 202
    assert statuses == ["interrupted", "interrupted"]
