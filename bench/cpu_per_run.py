"""Where the CPU of one background run goes, by process kind: API, worker, PostgreSQL, Redis, client.

    .venv/bin/python -m bench.cpu_per_run [--threads 50] [--runs-per-thread 10] [--workers N] [--wait] [--upstream]

Starts our server on the embedded default, creates the threads, then reads every
process's CPU time (/proc/<pid>/stat) around the background-runs benchmark and
prints milliseconds of CPU per run by kind. `--upstream` measures upstream's
`langgraph dev` the same way afterwards (one process: API, queue and in-memory
checkpoints). Run it on a quiet machine: processes are grouped by command line,
not by parentage (embedded PostgreSQL daemonizes).
"""

import argparse
import asyncio
import os
import resource
import time
from collections import defaultdict
from pathlib import Path

from bench.servers import ours, upstream
from bench.suite import background_throughput, wait_latencies

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
KINDS = (
    ("agentplatform worker", "worker"),
    ("celery_process worker", "worker"),
    ("langgraph dev", "upstream"),
    ("agentplatform beat", "beat"),
    ("celery_process beat", "beat"),
    ("uvicorn", "api"),
    ("postgres", "postgresql"),
    ("redis-server", "redis"),
    ("manage.py dev", "supervisor"),
)


def kind_of(cmdline: str) -> str:
    for marker, kind in KINDS:
        if marker in cmdline:
            return kind
    return "other"


def cpu_by_kind() -> dict[str, float]:
    """Seconds of CPU (user + system) used so far by each kind of process on the machine."""
    totals: dict[str, float] = defaultdict(float)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        totals[kind_of(cmdline)] += (int(fields[11]) + int(fields[12])) / TICKS_PER_S
    own = resource.getrusage(resource.RUSAGE_SELF)
    totals["client (SDK)"] = own.ru_utime + own.ru_stime
    return totals


def measure(url: str, args: argparse.Namespace) -> None:
    runs = args.threads * args.runs_per_thread
    asyncio.run(background_throughput(url, 8, 2))  # warm up: imports, pools, graph compilation
    time.sleep(1)
    before, started = cpu_by_kind(), time.monotonic()
    if args.wait:
        asyncio.run(wait_latencies(url, 8, runs))
    else:
        asyncio.run(background_throughput(url, args.threads, args.runs_per_thread))
    elapsed, after = time.monotonic() - started, cpu_by_kind()
    spent = {kind: after[kind] - before.get(kind, 0.0) for kind in after}
    what = "runs.wait calls (concurrency 8)" if args.wait else "background runs (create + join)"
    print(f"== {runs} {what}: {runs / elapsed:.1f} runs/s, {elapsed:.1f} s wall")
    print(f"   CPU per run, by process kind (machine: {os.cpu_count()} cores)")
    for kind, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if seconds > 0:
            print(f"      {kind:14s} {seconds * 1000 / runs:6.2f} ms")
    print(f"      {'total':14s} {sum(spent.values()) * 1000 / runs:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--runs-per-thread", type=int, default=10)
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: manage.py dev's)")
    parser.add_argument("--wait", action="store_true", help="runs.wait at concurrency 8 instead of create + join")
    parser.add_argument("--upstream", action="store_true", help="then measure upstream's langgraph dev too")
    args = parser.parse_args()
    print("ours (manage.py dev)")
    with ours(workers=args.workers) as url:
        measure(url, args)
    if args.upstream:
        with upstream() as url:
            if url:
                print("upstream langgraph dev")
                measure(url, args)


if __name__ == "__main__":
    main()
