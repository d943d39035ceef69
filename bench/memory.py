"""Idle memory of `manage.py dev`, by process kind, beside upstream's `langgraph dev`.

    .venv/bin/python -m bench.memory [--baseline REV] [--workers N] [--langgraph PATH] [--no-upstream] [--settle 5]

Starts our server (embedded PostgreSQL and Redis, its own data folder, a free
port), waits for Ready, then until the whole stack is idle (its CPU under 2% of
a core over a 2 s window), and reads RSS and PSS (psutil; PSS counts a shared
page once across the processes sharing it, so PSS sums are what the stack
really holds) of every process: the API, each worker, beat, the dev
supervisor, embedded PostgreSQL (postmaster and all its backends summed) and
Redis. Then the same for upstream's in-memory `langgraph dev` (its whole
process tree), in the same invocation. Prints a table and the machine's load.
`--baseline REV` first measures an earlier commit the same way (a temporary git
worktree run with this .venv, as bench.compare_builds does) and ends with a
before / after / upstream table.
"""

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.servers import REPO, ours_process, upstream_process

MIB = 1024 * 1024
IDLE_CPU_PERCENT = 2.0
IDLE_WINDOW_S = 2.0
IDLE_TIMEOUT_S = 90.0
DEFAULT_UPSTREAM_CLI = Path("/work/upstream-venv/bin/langgraph")


@dataclass
class Usage:
    rss: int = 0
    pss: int | None = 0
    processes: int = 0
    pids: list[int] = field(default_factory=list)

    def add(self, proc: psutil.Process) -> None:
        try:
            info = proc.memory_full_info()
            pss = getattr(info, "pss", None)
        except psutil.AccessDenied:
            info, pss = proc.memory_info(), None
        self.rss += info.rss
        self.pss = None if pss is None or self.pss is None else self.pss + pss
        self.processes += 1
        self.pids.append(proc.pid)


def kind_of(cmdline: list[str]) -> str:
    text = " ".join(cmdline)
    if "uvicorn" in text:
        return "api"
    if "celery" in text and " worker" in text:
        hostname = cmdline[cmdline.index("--hostname") + 1] if "--hostname" in cmdline else "worker"
        return "worker " + hostname.split("@")[0].rsplit("-", 1)[-1].removeprefix("worker")
    if "celery" in text and " beat" in text:
        return "beat"
    if "redis-server" in text:
        return "redis"
    if "manage.py" in text and " dev" in text:
        return "supervisor"
    return "other: " + text[:60]


def postmaster(data_dir: Path) -> psutil.Process | None:
    """The embedded PostgreSQL's postmaster (it daemonizes: not a child of `manage.py dev`)."""
    try:
        return psutil.Process(int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0]))
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
        return None


def data_dir_of(supervisor: psutil.Process) -> Path:
    argv = supervisor.cmdline()
    return Path(argv[argv.index("--data-dir") + 1])


def stack_processes(root: psutil.Process, extra_roots: list[psutil.Process]) -> list[psutil.Process]:
    processes = [root, *root.children(recursive=True)]
    for extra in extra_roots:
        processes += [extra, *extra.children(recursive=True)]
    return processes


def wait_idle(processes: list[psutil.Process]) -> float:
    """Wait until the processes together use under IDLE_CPU_PERCENT of a core; returns the last reading."""
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    percent = 100.0
    while time.monotonic() < deadline:
        for proc in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.cpu_percent(None)
        time.sleep(IDLE_WINDOW_S)
        percent = 0.0
        for proc in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                percent += proc.cpu_percent(None)
        if percent < IDLE_CPU_PERCENT:
            break
    return percent


def measure_ours(workers: int | None, settle_s: float, repo: Path = REPO) -> tuple[dict[str, Usage], float]:
    with ours_process(workers=workers, repo=repo) as (_, process):
        supervisor = psutil.Process(process.pid)
        pg = postmaster(data_dir_of(supervisor))
        processes = stack_processes(supervisor, [pg] if pg else [])
        time.sleep(settle_s)
        cpu = wait_idle(processes)
        usage: dict[str, Usage] = {}
        pg_pids = {p.pid for p in ([pg, *pg.children(recursive=True)] if pg else [])}
        for proc in stack_processes(supervisor, [pg] if pg else []):
            try:
                kind = "postgresql" if proc.pid in pg_pids else kind_of(proc.cmdline())
                usage.setdefault(kind, Usage()).add(proc)
            except psutil.NoSuchProcess:
                continue
        return usage, cpu


def measure_upstream(settle_s: float) -> tuple[dict[str, Usage], float] | None:
    with upstream_process() as started:
        if started is None:
            return None
        root = psutil.Process(started[1].pid)
        processes = stack_processes(root, [])
        time.sleep(settle_s)
        cpu = wait_idle(processes)
        usage: dict[str, Usage] = {"langgraph dev (all processes)": Usage()}
        for proc in stack_processes(root, []):
            try:
                usage["langgraph dev (all processes)"].add(proc)
            except psutil.NoSuchProcess:
                continue
        return usage, cpu


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MIB:7.1f}"


def print_table(title: str, usage: dict[str, Usage], cpu: float) -> None:
    print(f"== {title} (idle: {cpu:.1f}% of a core over {IDLE_WINDOW_S:.0f} s)")
    print(f"   {'kind':32s} {'procs':>5s} {'RSS MiB':>8s} {'PSS MiB':>8s}")
    order = sorted(usage, key=lambda kind: (kind.startswith("other"), kind))
    for kind in order:
        item = usage[kind]
        print(f"   {kind:32s} {item.processes:5d} {mib(item.rss):>8s} {mib(item.pss):>8s}")
    total_rss = sum(item.rss for item in usage.values())
    pss_values = [item.pss for item in usage.values()]
    total_pss = None if None in pss_values else sum(pss_values)  # type: ignore[arg-type]
    print(f"   {'total':32s} {sum(i.processes for i in usage.values()):5d} {mib(total_rss):>8s} {mib(total_pss):>8s}")


def measure_baseline(revision: str, workers: int | None, settle_s: float) -> tuple[dict[str, Usage], float]:
    worktree = Path(tempfile.mkdtemp(prefix="bench-baseline-")) / "repo"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(worktree), revision], cwd=REPO, check=True)
    try:
        return measure_ours(workers, settle_s, repo=worktree)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=REPO, check=False)
        shutil.rmtree(worktree.parent, ignore_errors=True)


def print_comparison(columns: dict[str, dict[str, Usage]]) -> None:
    print("== RSS / PSS MiB by process kind")
    print("   " + f"{'kind':32s}" + "".join(f" {name:>22s}" for name in columns))
    kinds = sorted({kind for usage in columns.values() for kind in usage}, key=lambda k: (k.startswith("other"), k))
    for kind in [*kinds, "total"]:
        cells = []
        for usage in columns.values():
            items = list(usage.values()) if kind == "total" else [usage[kind]] if kind in usage else []
            if not items:
                cells.append(f" {'':>22s}")
                continue
            rss = sum(item.rss for item in items)
            pss = None if any(item.pss is None for item in items) else sum(item.pss for item in items)
            cells.append(f" {mib(rss).strip() + ' / ' + mib(pss).strip():>22s}")
        print("   " + f"{kind:32s}" + "".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", default=None, help="also measure this git revision first (before / after)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: manage.py dev's)")
    parser.add_argument("--langgraph", default=None, help="upstream's `langgraph` executable")
    parser.add_argument("--no-upstream", action="store_true")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds to wait after Ready before idling")
    args = parser.parse_args()
    if args.langgraph:
        os.environ["LANGGRAPH_CLI"] = args.langgraph
    elif "LANGGRAPH_CLI" not in os.environ and DEFAULT_UPSTREAM_CLI.exists():
        os.environ["LANGGRAPH_CLI"] = str(DEFAULT_UPSTREAM_CLI)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    columns: dict[str, dict[str, Usage]] = {}
    if args.baseline:
        usage, cpu = measure_baseline(args.baseline, args.workers, args.settle)
        print_table(f"ours at {args.baseline}: manage.py dev", usage, cpu)
        columns[f"ours {args.baseline}"] = usage
    usage, cpu = measure_ours(args.workers, args.settle)
    print_table("ours: manage.py dev", usage, cpu)
    columns["ours"] = usage
    if not args.no_upstream:
        measured = measure_upstream(args.settle)
        if measured is None:
            print("== upstream: `langgraph` not found (set LANGGRAPH_CLI or --langgraph)")
        else:
            print_table("upstream: langgraph dev", *measured)
            columns["upstream"] = measured[0]
    if len(columns) > 1:
        print_comparison(columns)
    load = os.getloadavg()
    print(f"machine: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at end")


if __name__ == "__main__":
    main()
