"""I/O-bound runs (issue 20, item 1): many runs that each await like a model call, created at once.

    .venv/bin/python -m bench.io_bound [--counts 200 1000] [--delay 1] [--rss-runs 1000] [--skip-upstream]

For each server (ours on `manage.py dev`'s defaults, ours with one worker process,
upstream's `langgraph dev` when installed), and each count: that many threads
are made first (not timed), then one run per thread of the `slow` graph (its node
awaits `configurable.delay` seconds) is created, all at once; the figure is the
time from the first create to the last run's end (its `runs.join` returning),
and every run must be `success`. Then `--rss-runs` runs that await long enough
to all be in flight together: the server's run-executing processes' RSS at
their peak minus idle, per run in flight (psutil). Numbers, not pass/fail.
"""

import argparse
import asyncio
import time
from collections.abc import Callable
from contextlib import suppress

import httpx
import psutil
from langgraph_sdk import get_client as sdk_client

from apps.devserver.supervisor import default_worker_processes
from bench.servers import ours_process, upstream_process
from bench.suite import gather_limited

GRAPH = "slow"
# Client-side bound on open requests (each `runs.create` is short; `runs.join` waits): httpx's
# pool holds 100 connections.
CREATE_CONCURRENCY = 100
JOIN_CONCURRENCY = 100
RSS_SAMPLE_S = 0.25
# A join may wait for a free connection as long as the slowest server needs.
TIMEOUT = httpx.Timeout(connect=5, read=600, write=60, pool=None)


def get_client(url: str) -> object:
    return sdk_client(url=url, timeout=TIMEOUT)


async def make_threads(url: str, count: int) -> list[str]:
    client = get_client(url=url)
    threads = await gather_limited([client.threads.create for _ in range(count)], 16)
    return [thread["thread_id"] for thread in threads]


async def burst(url: str, count: int, delay_s: float) -> tuple[float, list[str]]:
    """Seconds from the first create to the last run's end, and every run's final status."""
    client = get_client(url=url)
    thread_ids = await make_threads(url, count)
    config = {"configurable": {"delay": delay_s}}

    def create(thread_id: str) -> Callable:
        return lambda: client.runs.create(thread_id, GRAPH, input={"text": "hi"}, config=config)

    started = time.perf_counter()
    runs = await gather_limited([create(t) for t in thread_ids], CREATE_CONCURRENCY)
    created_s = time.perf_counter() - started
    await gather_limited([lambda r=r: client.runs.join(r["thread_id"], r["run_id"]) for r in runs], JOIN_CONCURRENCY)
    elapsed = time.perf_counter() - started
    statuses = [
        s["status"]
        for s in await gather_limited([lambda r=r: client.runs.get(r["thread_id"], r["run_id"]) for r in runs], 16)
    ]
    print(f"      {count} runs: all created after {created_s:.2f} s, all done after {elapsed:.2f} s")
    return elapsed, statuses


def run_processes(server_pid: int, ours_server: bool) -> list[psutil.Process]:
    """Ours: the Celery worker processes. Upstream: the server process and its children (one in-memory process)."""
    root = psutil.Process(server_pid)
    everything = [root, *root.children(recursive=True)]
    if not ours_server:
        return [p for p in everything if "python" in p.name() or "langgraph" in " ".join(p.cmdline())]
    return [p for p in everything if "celery" in " ".join(p.cmdline()) and " worker" in " ".join(p.cmdline())]


def total_rss(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        with suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


async def rss_per_run(url: str, server_pid: int, ours_server: bool, count: int, delay_s: float) -> str:
    client = get_client(url=url)
    thread_ids = await make_threads(url, count)
    processes = run_processes(server_pid, ours_server)
    idle = total_rss(processes)
    config = {"configurable": {"delay": delay_s}}
    peak = idle
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, total_rss(processes))
            await asyncio.sleep(RSS_SAMPLE_S)

    sampler = asyncio.ensure_future(sample())
    runs = await gather_limited(
        [lambda t=t: client.runs.create(t, GRAPH, input={"text": "hi"}, config=config) for t in thread_ids],
        CREATE_CONCURRENCY,
    )
    started = time.perf_counter()
    await gather_limited([lambda r=r: client.runs.join(r["thread_id"], r["run_id"]) for r in runs], JOIN_CONCURRENCY)
    took = time.perf_counter() - started
    done.set()
    await sampler
    mb = 2**20
    return (
        f"{len(processes)} process(es): idle {idle / mb:.0f} MB, peak {peak / mb:.0f} MB with {count} runs "
        f"awaiting {delay_s:.0f} s (all ended {took:.1f} s after the last create): "
        f"{(peak - idle) / count / 1024:.0f} KB per run in flight"
    )


async def measure(url: str, server_pid: int, ours_server: bool, args: argparse.Namespace) -> dict[str, str]:
    await burst(url, 20, 0.01)  # warm up: pools, graph imports
    result = {}
    for count in args.counts:
        elapsed, statuses = await burst(url, count, args.delay)
        ok = statuses.count("success")
        result[f"{count} x {args.delay:g} s runs"] = f"{elapsed:.2f} s first create -> last done ({ok}/{count} success)"
    if args.rss_runs:
        result["RSS"] = await rss_per_run(url, server_pid, ours_server, args.rss_runs, args.rss_delay)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="*", default=[200, 1000])
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--rss-runs", type=int, default=1000)
    parser.add_argument("--rss-delay", type=float, default=10.0)
    parser.add_argument("--skip-upstream", action="store_true")
    parser.add_argument("--skip-one-worker", action="store_true")
    parser.add_argument(
        "--upstream-jobs", type=int, default=None, help="upstream's --n-jobs-per-worker (its default: 10 run slots)"
    )
    args = parser.parse_args()
    print(f"machine: {psutil.cpu_count()} cores, load average {psutil.getloadavg()}")
    servers: list[tuple[str, Callable, bool]] = [
        (f"ours (manage.py dev defaults: {default_worker_processes()} worker processes)", ours_process, True)
    ]
    if not args.skip_one_worker:
        servers.append(("ours (one worker process)", lambda: ours_process(workers=1), True))
    if not args.skip_upstream:
        extra = ("--n-jobs-per-worker", str(args.upstream_jobs)) if args.upstream_jobs else ()
        name = f"upstream langgraph dev ({args.upstream_jobs or 'default'} run slots)"
        servers.append((name, lambda: upstream_process(extra), False))
    for name, server, ours_server in servers:
        print(f"== {name}")
        with server() as started:
            if started is None:
                print("   (not installed: pip install 'langgraph-cli[inmem]')")
                continue
            url, process = started  # the server's root process: `manage.py dev`, or `langgraph dev`
            try:
                rows = asyncio.run(measure(url, process.pid, ours_server, args))
            except Exception as exc:  # report the others anyway
                print(f"   failed: {type(exc).__name__}: {exc}")
                continue
            for key, value in rows.items():
                print(f"   {key:18s} {value}")
        print(f"   load average after: {psutil.getloadavg()}")


if __name__ == "__main__":
    main()
