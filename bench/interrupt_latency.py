"""Time from a double-text with multitask_strategy="interrupt" to the first run's terminal status.

    .venv/bin/python -m bench.interrupt_latency [--samples 20]

The first run sleeps 30 s inside a node; the clock starts when the second
`runs.create(..., multitask_strategy="interrupt")` is sent and stops when
`runs.join` on the first run returns (its end event). Upstream is measured
too when the `langgraph` CLI is installed.
"""

import argparse
import asyncio
import statistics
import time

from langgraph_sdk import get_client

from bench.servers import ours, upstream

SLOW = {"configurable": {"delay": 30}}


async def wait_running(client, thread_id: str, run_id: str) -> None:
    while (await client.runs.get(thread_id, run_id))["status"] != "running":
        await asyncio.sleep(0.01)


async def measure(url: str, samples: int) -> list[float]:
    client = get_client(url=url)
    timings = []
    for _ in range(samples + 2):
        thread = await client.threads.create()
        first = await client.runs.create(thread["thread_id"], "slow", input={}, config=SLOW)
        await wait_running(client, thread["thread_id"], first["run_id"])
        await asyncio.sleep(0.05)  # let it get inside the node
        started = time.perf_counter()
        await client.runs.create(thread["thread_id"], "echo", input={"text": "x"}, multitask_strategy="interrupt")
        await client.runs.join(thread["thread_id"], first["run_id"])
        timings.append((time.perf_counter() - started) * 1000)
        status = (await client.runs.get(thread["thread_id"], first["run_id"]))["status"]
        assert status == "interrupted", status
    return timings[2:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    results = {}
    with ours() as url:
        results["ours"] = asyncio.run(measure(url, args.samples))
    with upstream() as url:
        if url:
            results["upstream"] = asyncio.run(measure(url, args.samples))
    print("interrupt request -> first run terminal")
    for name, timings in results.items():
        ordered = sorted(timings)
        p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
        print(f"{name:10s} n={len(ordered)}  p50={statistics.median(ordered):7.1f} ms  p95={p95:7.1f} ms")


if __name__ == "__main__":
    main()
