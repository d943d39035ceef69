"""A/B: this checkout against an earlier commit, alternating, in one invocation.

    .venv/bin/python -m bench.compare_builds BASELINE_REV [--rounds 3] [--workers 2]

This machine's speed drifts by tens of percent between runs, so a change is
judged against a baseline measured in the same invocation: each round starts the
baseline build (a temporary git worktree of BASELINE_REV, run with this .venv)
and then this one, both with the same worker count, and measures thread creates,
background runs, runs.wait at concurrency 1 and 8, and CPU per background run.
Prints the median of the rounds for each build.
"""

import argparse
import asyncio
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench.cpu_per_run import cpu_by_kind
from bench.servers import REPO, ours
from bench.suite import background_throughput, thread_create_rate, wait_latencies

RUNS = 500  # background runs: 50 threads x 10


def measure_once(repo: Path, workers: int) -> dict[str, float]:
    with ours(workers=workers, repo=repo) as url:
        asyncio.run(background_throughput(url, 8, 2))  # warm up
        result = {"thread creates/s": asyncio.run(thread_create_rate(url, 1000))}
        before = cpu_by_kind()
        result["background runs/s"] = asyncio.run(background_throughput(url, 50, 10))
        after = cpu_by_kind()
        for kind in ("api", "worker", "postgresql", "redis"):
            result[f"CPU per run, {kind}, ms"] = (after[kind] - before.get(kind, 0.0)) * 1000 / RUNS
        result["wait c=1 p50, ms"] = statistics.median(asyncio.run(wait_latencies(url, 1, 40)))
        waits = sorted(asyncio.run(wait_latencies(url, 8, 240)))
        result["wait c=8 p50, ms"] = statistics.median(waits)
        result["wait c=8 p95, ms"] = waits[int(0.95 * (len(waits) - 1))]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("baseline", help="a git revision of this repository")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    worktree = Path(tempfile.mkdtemp(prefix="bench-baseline-")) / "repo"
    subprocess.run(["git", "worktree", "add", "--detach", str(worktree), args.baseline], cwd=REPO, check=True)
    builds = {f"baseline {args.baseline}": worktree, "this checkout": REPO}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in builds}
    try:
        for _ in range(args.rounds):
            for name, repo in builds.items():
                samples[name].append(measure_once(repo, args.workers))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, check=False)
        shutil.rmtree(worktree.parent, ignore_errors=True)
    print(f"== medians of {args.rounds} alternating rounds, {args.workers} worker processes each")
    for metric in samples["this checkout"][0]:
        row = "  ".join(f"{name}: {statistics.median(s[metric] for s in runs):8.1f}" for name, runs in samples.items())
        print(f"   {metric:24s} {row}")


if __name__ == "__main__":
    main()
