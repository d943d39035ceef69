"""A Celery worker or celery beat for `manage.py dev`, started without Celery's command line.

`celery -A agentplatform worker` imports every command of Celery's CLI before it
reads its arguments: the `amqp` shell's REPL (prompt_toolkit) and each installed
`celery.commands` plugin (flower: tornado, prometheus_client), ~24 MB in every
worker and beat process that use none of it (bench.memory). This builds what the
CLI's `worker` and `beat` commands build, `app.Worker` and `app.Beat`, with the
same options.

    python -m apps.devserver.celery_process worker --hostname NAME --queues Q
    python -m apps.devserver.celery_process beat
"""

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m apps.devserver.celery_process")
    commands = parser.add_subparsers(dest="command", required=True)
    worker = commands.add_parser("worker", help="a worker on the thread pool")
    worker.add_argument("--hostname", required=True)
    worker.add_argument("--queues", required=True, help="comma-separated")
    beat = commands.add_parser("beat", help="celery beat")
    for command in (worker, beat):
        command.add_argument("--loglevel", default="WARNING")
    args = parser.parse_args(argv)
    if args.command == "beat":
        # Beat runs one query at a time: one pooled connection (a PostgreSQL backend, ~15 MB
        # of RSS on the server) instead of the pool's default two. Before the settings load.
        os.environ.setdefault("DB_POOL_MIN_SIZE", "1")

    from agentplatform.celery import app

    if args.command == "beat":
        app.Beat(loglevel=args.loglevel).run()
        return 0
    process = app.Worker(
        hostname=args.hostname,
        # Pool and concurrency: app.Worker reads them from settings (CELERY_WORKER_POOL, N_JOBS_PER_WORKER).
        queues=args.queues.split(","),
        loglevel=args.loglevel,
        without_mingle=True,
        without_gossip=True,
    )
    process.start()
    return process.exitcode or 0


if __name__ == "__main__":
    sys.exit(main())
