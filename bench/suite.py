"""The benchmark suite of issue 8, through the official SDK, ours vs upstream `langgraph dev`.

    .venv/bin/python -m bench.suite [--workers 1 2 4] [--ours-workers 1 2] [--debug] [--production]
                                    [--threads 50] [--runs-per-thread 10] [--skip-upstream]

For each server: thread-create rate; background runs end to end (threads x runs,
concurrency 8); runs.wait latency at concurrency 1 and 8 (p50/p95/p99);
runs.stream time to the first event and to the first `values` event.
`--workers` repeats the background-throughput measurement for our server with
that many worker processes (scale-out); `--ours-workers` measures everything on ours
with each of these worker-process counts instead of dev's default; `--debug` adds ours
with DEBUG=true, `--production` ours started with the README's production commands
(uvicorn, `celery -A agentplatform worker|beat`). Numbers, not pass/fail.
"""

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from langgraph_sdk import get_client

from apps.devserver.supervisor import default_worker_processes
from bench.servers import ours, production, upstream

CONCURRENCY = 8
GRAPH = "echo"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]

    return f"p50={statistics.median(ordered):.1f} p95={at(0.95):.1f} p99={at(0.99):.1f} ms"


async def gather_limited(jobs: list[Callable[[], Awaitable]], limit: int) -> list:
    semaphore = asyncio.Semaphore(limit)

    async def guarded(job: Callable[[], Awaitable]) -> object:
        async with semaphore:
            return await job()

    return await asyncio.gather(*(guarded(job) for job in jobs))


async def thread_create_rate(url: str, count: int = 200, warm_up: int = 50) -> float:
    """Steady state: the server's first requests (connection pools filling) are not timed."""
    client = get_client(url=url)
    await gather_limited([client.threads.create for _ in range(warm_up)], CONCURRENCY)
    started = time.perf_counter()
    await gather_limited([client.threads.create for _ in range(count)], CONCURRENCY)
    return count / (time.perf_counter() - started)


async def background_throughput(url: str, threads: int, runs_per_thread: int) -> float:
    client = get_client(url=url)
    thread_ids = [t["thread_id"] for t in await gather_limited([client.threads.create for _ in range(threads)], 8)]
    started = time.perf_counter()
    last_runs: dict[str, str] = {}

    async def create(thread_id: str, index: int) -> None:
        created = await client.runs.create(thread_id, GRAPH, input={"text": str(index)})
        last_runs[thread_id] = created["run_id"]

    # Runs of one thread are created in order (each thread's queue is FIFO).
    async def fill(thread_id: str) -> None:
        for index in range(runs_per_thread):
            await create(thread_id, index)

    await gather_limited([lambda t=t: fill(t) for t in thread_ids], CONCURRENCY)
    await gather_limited([lambda t=t: client.runs.join(t, last_runs[t]) for t in thread_ids], CONCURRENCY)
    return threads * runs_per_thread / (time.perf_counter() - started)


async def wait_latencies(url: str, concurrency: int, calls: int) -> list[float]:
    client = get_client(url=url)
    threads = [t["thread_id"] for t in await gather_limited([client.threads.create for _ in range(concurrency)], 8)]
    timings: list[float] = []

    async def one(thread_id: str, index: int) -> None:
        started = time.perf_counter()
        await client.runs.wait(thread_id, GRAPH, input={"text": str(index)})
        timings.append((time.perf_counter() - started) * 1000)

    async def worker(thread_id: str) -> None:
        for index in range(calls // concurrency):
            await one(thread_id, index)

    await asyncio.gather(*(worker(t) for t in threads))
    return timings[concurrency:]  # drop each worker's warm-up call


async def stream_first_events(url: str, calls: int = 20) -> tuple[list[float], list[float]]:
    client = get_client(url=url)
    thread = await client.threads.create()
    first_event, first_values = [], []
    for index in range(calls + 2):
        started = time.perf_counter()
        seen_first = seen_values = None
        async for part in client.runs.stream(thread["thread_id"], GRAPH, input={"text": str(index)}):
            now = (time.perf_counter() - started) * 1000
            seen_first = seen_first if seen_first is not None else now
            if part.event == "values" and seen_values is None:
                seen_values = now
        if index >= 2:
            first_event.append(seen_first)
            first_values.append(seen_values)
    return first_event, first_values


async def measure(url: str, args: argparse.Namespace) -> dict[str, object]:
    result: dict[str, object] = {}
    result["thread creates/s"] = f"{await thread_create_rate(url, 1000):.0f}"
    throughput = await background_throughput(url, args.threads, args.runs_per_thread)
    result["background runs/s"] = f"{throughput:.1f}"
    result["wait c=1"] = percentiles(await wait_latencies(url, 1, 40))
    result["wait c=8"] = percentiles(await wait_latencies(url, 8, 160))
    first_event, first_values = await stream_first_events(url)
    result["stream first event"] = percentiles(first_event)
    result["stream first values"] = percentiles(first_values)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--runs-per-thread", type=int, default=10)
    parser.add_argument("--ours-workers", type=int, nargs="*", default=[], help="full rows for ours with N workers")
    parser.add_argument("--skip-upstream", action="store_true")
    parser.add_argument("--debug", action="store_true", help="also a full row for ours with DEBUG=true")
    parser.add_argument(
        "--production", action="store_true", help="also a full row for ours on the README's production commands"
    )
    args = parser.parse_args()
    table: dict[str, dict[str, object]] = {}
    for workers in args.ours_workers or [None]:
        name = f"{workers} worker processes" if workers else f"manage.py dev defaults: {default_worker_processes()}"
        with ours(workers=workers) as url:
            table[f"ours ({name})"] = asyncio.run(measure(url, args))
    if args.debug:
        with ours(debug=True) as url:
            table["ours (manage.py dev defaults, DEBUG=true)"] = asyncio.run(measure(url, args))
    if args.production:
        workers = default_worker_processes()
        with production(workers) as url:
            table[f"ours (production commands, {workers} workers)"] = asyncio.run(measure(url, args))
    if not args.skip_upstream:
        with upstream() as url:
            if url:
                table["upstream dev"] = asyncio.run(measure(url, args))
    scale = {}
    for workers in args.workers:
        with ours(workers=workers) as url:
            scale[workers] = asyncio.run(background_throughput(url, args.threads, args.runs_per_thread))
    for name, row in table.items():
        print(f"== {name}")
        for key, value in row.items():
            print(f"   {key:22s} {value}")
    print("== scale-out (ours, background runs/s by worker processes)")
    for workers, throughput in scale.items():
        print(f"   {workers} worker(s): {throughput:.1f} runs/s")


if __name__ == "__main__":
    main()
