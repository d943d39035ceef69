"""Idle `runs.wait` latency: sequential calls on one thread, through the official SDK.

    .venv/bin/python -m bench.wait_latency [--calls 20] [--warmup 5]

Starts our server on the embedded default (and upstream's `langgraph dev`
when the `langgraph` CLI is installed) and prints p50/p95/max per server.
"""

import argparse
import asyncio
import statistics
import time

from langgraph_sdk import get_client

from bench.servers import ours, upstream


async def measure(url: str, calls: int, warmup: int) -> list[float]:
    client = get_client(url=url)
    thread = await client.threads.create()
    timings = []
    for index in range(warmup + calls):
        started = time.perf_counter()
        await client.runs.wait(thread["thread_id"], "echo", input={"text": f"call {index}"})
        if index >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def summary(name: str, timings: list[float]) -> str:
    ordered = sorted(timings)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    p50 = statistics.median(ordered)
    return f"{name:10s} n={len(ordered):3d}  p50={p50:7.1f} ms  p95={p95:7.1f} ms  max={ordered[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with ours() as url:
        results["ours"] = asyncio.run(measure(url, args.calls, args.warmup))
    with upstream() as url:
        if url:
            results["upstream"] = asyncio.run(measure(url, args.calls, args.warmup))
    print("runs.wait latency, sequential, one thread, trivial graph")
    for name, timings in results.items():
        print(summary(name, timings))
    if "upstream" in results:
        ratio = statistics.median(results["upstream"]) / statistics.median(results["ours"])
        print(f"upstream p50 / ours p50 = {ratio:.1f}x")


if __name__ == "__main__":
    main()
