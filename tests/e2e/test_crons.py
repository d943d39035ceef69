"""The seed tutorial's cron section through langgraph_sdk, and a cron firing via real celery beat."""

import asyncio
import time

from langgraph_sdk import get_client

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
