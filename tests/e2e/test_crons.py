"""The seed tutorial's cron section through langgraph_sdk, and a cron firing via real celery beat."""

import asyncio
import time

import httpx
from langgraph_sdk import get_client

from tests.conftest import wait_for
from tests.e2e.conftest import run

FIRE_DEADLINE_S = 80.0  # a `* * * * *` cron fires at the next minute boundary


def test_seed_cron_snippets(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)

        # Create a thread for the cron job
        thread = await client.threads.create()

        # Schedule: run at 8:00 AM UTC every weekday
        cron_job = await client.crons.create_for_thread(
            thread["thread_id"],
            assistant_id="agent",
            schedule="0 8 * * 1-5",  # cron expression (UTC)
            input={
                "messages": [
                    {
                        "role": "user",
                        "content": "Generate today's AI news summary.",
                    }
                ],
            },
        )
        assert cron_job["cron_id"] and cron_job["thread_id"] == thread["thread_id"]
        assert cron_job["next_run_date"].endswith("08:00:00+00:00")

        # Stateless: new thread each time
        stateless = await client.crons.create(
            assistant_id="agent",
            schedule="0 8 * * *",  # 8:00 AM UTC daily
            input={"messages": [{"role": "user", "content": "What's the weather forecast?"}]},
            on_run_completed="keep",  # Keep threads for retrieval (default: "delete")
        )
        assert stateless["thread_id"] is None

        # List all cron jobs
        crons = await client.crons.search()
        assert {cron_job["cron_id"], stateless["cron_id"]} <= {c["cron_id"] for c in crons}

        # Delete a cron job
        await client.crons.delete(cron_job["cron_id"])
        await client.crons.delete(stateless["cron_id"])
        assert await client.crons.count() == 0

    run(main())


def test_cron_fires_through_beat_and_its_runs_are_found_by_cron_id(url: str) -> None:
    async def main() -> tuple[dict, list[dict]]:
        client = get_client(url=url)
        cron = await client.crons.create(
            assistant_id="agent",
            schedule="* * * * *",
            input={"messages": [{"role": "user", "content": "tick"}]},
            on_run_completed="keep",
        )
        deadline = time.monotonic() + FIRE_DEADLINE_S
        runs: list[dict] = []
        while time.monotonic() < deadline and not any(r["status"] == "success" for r in runs):
            # The SDK has no runs.search; its HTTP client reaches our /runs/search.
            runs = await client.http.post("/runs/search", json={"metadata": {"cron_id": cron["cron_id"]}})
            await asyncio.sleep(1)
        await client.crons.delete(cron["cron_id"])
        return cron, runs

    cron, runs = run(main())
    assert runs, "the cron did not fire within a minute"
    succeeded = [r for r in runs if r["status"] == "success"]
    assert succeeded
    assert succeeded[0]["metadata"]["cron_id"] == cron["cron_id"]


def test_stateless_cron_runs_are_found_after_their_threads_are_deleted(url: str) -> None:
    """The seed's walk-through with upstream's default on_run_completed="delete": the history answers."""

    async def main() -> tuple[dict, dict, list[dict], list[dict]]:
        client = get_client(url=url)
        ok = await client.crons.create(
            assistant_id="agent", schedule="* * * * *", input={"messages": [{"role": "user", "content": "tick"}]}
        )
        failing = await client.crons.create(assistant_id="failing", schedule="* * * * *", input={})
        deadline = time.monotonic() + FIRE_DEADLINE_S
        ok_runs: list[dict] = []
        failed_runs: list[dict] = []
        while time.monotonic() < deadline and not (ok_runs and failed_runs):
            ok_runs = await client.http.post(
                "/runs/search", json={"metadata": {"cron_id": ok["cron_id"]}, "status": "success"}
            )
            failed_runs = await client.http.post(
                "/runs/search", json={"metadata": {"cron_id": failing["cron_id"]}, "status": "error"}
            )
            await asyncio.sleep(1)
        for cron in (ok, failing):
            await client.crons.delete(cron["cron_id"])
        return ok, failing, ok_runs, failed_runs

    ok, failing, ok_runs, failed_runs = run(main())
    assert ok_runs and failed_runs, "the crons did not fire within a minute"
    done = ok_runs[0]
    assert done["metadata"]["cron_id"] == ok["cron_id"]
    assert done["started_at"] <= done["ended_at"]
    assert done["output"]["messages"][0]["content"] == "You said: tick"
    assert failed_runs[0]["error"]["message"] == "boom"
    # The temporary thread (and the run row with it) is deleted right after the record is
    # written: only the history remains.
    wait_for(lambda: httpx.get(f"{url}/threads/{done['thread_id']}").status_code == 404, timeout_s=10)
