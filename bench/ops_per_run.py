"""What one run costs PostgreSQL and Redis: the figures behind the README's scale-out section.

    .venv/bin/python -m bench.ops_per_run [--threads 50] [--runs-per-thread 10] [--workers 1]

Starts embedded PostgreSQL and Redis, then our server on them (the path production
takes with DATABASE_URL / REDIS_URL), runs the background-runs benchmark (runs.create
then runs.join through the SDK) and prints, per run: Redis commands by name (INFO
commandstats), and PostgreSQL transactions, rows written and WAL (pg_stat_database,
pg_stat_wal). Thread creation happens before the counters are read. Counts, not timings.
"""

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import redis
from langgraph_sdk import get_client

from apps.devserver.embedded import embedded_services, free_port
from bench.servers import BENCH_APP, BENCH_SECRET_KEY, REPO, stop, wait_ok
from bench.suite import CONCURRENCY, GRAPH, gather_limited

PG_COUNTERS_SQL = """
SELECT d.xact_commit, d.tup_inserted, d.tup_updated, d.tup_deleted, w.wal_records, w.wal_bytes
FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = current_database()
"""
PG_NAMES = ("transactions", "rows inserted", "rows updated", "rows deleted", "WAL records", "WAL bytes")


def redis_counts(client: redis.Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()}


def pg_counts(database_url: str) -> dict[str, float]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.1)  # cumulative statistics are flushed by each backend about once a second
        return dict(zip(PG_NAMES, conn.execute(PG_COUNTERS_SQL).fetchone(), strict=True))


async def create_and_join(url: str, thread_ids: list[str], runs_per_thread: int) -> None:
    client = get_client(url=url)
    last: dict[str, str] = {}

    async def fill(thread_id: str) -> None:
        for index in range(runs_per_thread):
            last[thread_id] = (await client.runs.create(thread_id, GRAPH, input={"text": str(index)}))["run_id"]

    await gather_limited([lambda t=t: fill(t) for t in thread_ids], CONCURRENCY)
    await gather_limited([lambda t=t: client.runs.join(t, last[t]) for t in thread_ids], CONCURRENCY)


async def create_threads(url: str, count: int) -> list[str]:
    client = get_client(url=url)
    return [t["thread_id"] for t in await gather_limited([client.threads.create for _ in range(count)], CONCURRENCY)]


def measure(env: dict[str, str], args: argparse.Namespace, data_dir: Path) -> None:
    port, log = free_port(), data_dir / "server.log"
    argv = [
        sys.executable, "manage.py", "dev", "--port", str(port), "--data-dir", str(data_dir / "unused"),
        "--config", str(BENCH_APP / "langgraph.json"), "--workers", str(args.workers),
    ]  # fmt: skip
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(url, process, log)
        thread_ids = asyncio.run(create_threads(url, args.threads))
        rds = redis.Redis.from_url(env["REDIS_URL"])
        time.sleep(2)  # let start-up traffic settle
        redis_before, pg_before = redis_counts(rds), pg_counts(env["DATABASE_URL"])
        asyncio.run(create_and_join(url, thread_ids, args.runs_per_thread))
        time.sleep(1)
        redis_after, pg_after = redis_counts(rds), pg_counts(env["DATABASE_URL"])
    finally:
        stop(process)
    report(args.threads * args.runs_per_thread, redis_before, redis_after, pg_before, pg_after)


def report(runs: int, redis_before: dict, redis_after: dict, pg_before: dict, pg_after: dict) -> None:
    calls = {name: redis_after[name] - redis_before.get(name, 0) for name in redis_after}
    calls = {name: count for name, count in calls.items() if count}
    print(f"== per run ({runs} runs: runs.create + runs.join through the SDK; beat and sweeper included)")
    print(f"   Redis commands: {sum(calls.values()) / runs:.1f}")
    for name, count in sorted(calls.items(), key=lambda item: -item[1]):
        print(f"      {name:14s} {count / runs:6.2f}")
    print("   PostgreSQL:")
    for name in PG_NAMES:
        print(f"      {name:14s} {(pg_after[name] - pg_before[name]) / runs:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--runs-per-thread", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ops-"))
    try:
        with embedded_services(data_dir) as service_env:
            env = {
                **os.environ,
                **service_env,
                "DEBUG": "false",
                "SECRET_KEY": BENCH_SECRET_KEY,
                "API_KEYS_DISABLED": "true",
            }
            env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
            measure(env, args, data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
