"""`python manage.py dev`: the whole server in one terminal, like `langgraph dev`."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.core.embedded import embedded_services, port_is_free
from apps.core.launcher import SUPERVISE_INTERVAL_S, Child, Supervisor, python_module, wait_until_ready
from apps.graphs.config import GraphConfigError, load_config
from apps.graphs.registry import GraphRegistry

SHUTDOWN_GRACE_S = 5


def default_worker_processes() -> int:
    """One worker process per core, up to 2: one process's GIL is the first queue a
    burst of runs meets (bench.suite on 2 cores: runs.wait c=8 p50 126 -> 83 ms with a
    second process), and each process costs ~145 MB."""
    return max(1, min(2, os.cpu_count() or 1))


class Command(BaseCommand):
    help = "Start the API, a Celery worker and celery beat, on embedded PostgreSQL and Redis unless URLs are set."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--config", default=settings.LANGGRAPH_CONFIG, help="path to langgraph.json")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2024)
        parser.add_argument("--data-dir", default=".agentplatform", help="where embedded servers keep their data")
        parser.add_argument("--workers", type=int, default=default_worker_processes(), help="Celery worker processes")
        parser.add_argument("--jobs-per-worker", type=int, default=settings.N_JOBS_PER_WORKER)
        parser.add_argument("--api-processes", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        config_path = Path(options["config"]).resolve()
        self._check_graphs(config_path)
        if not port_is_free(options["host"], options["port"]):
            raise CommandError(
                f"port {options['port']} on {options['host']} is already in use; pick another with --port"
            )
        data_dir = Path(options["data_dir"]).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        need_pg = "DATABASE_URL" not in os.environ
        need_redis = "REDIS_URL" not in os.environ
        with embedded_services(data_dir, need_postgres=need_pg, need_redis=need_redis) as service_env:
            env = {**os.environ, **service_env, "LANGGRAPH_CONFIG": str(config_path), "PYTHONUNBUFFERED": "1"}
            env.setdefault("DEBUG", "true")
            env["N_JOBS_PER_WORKER"] = str(options["jobs_per_worker"])
            # Local development posts webhooks to local receivers; production refuses private addresses.
            env.setdefault("WEBHOOK_ALLOW_PRIVATE", "true")
            # Celery warns at every start when run as root (as in containers); say it once, here.
            env.setdefault("PYTHONWARNINGS", "ignore:You're running the worker with superuser privileges")
            self._prepare_database(env)
            self._serve(env, options, started=sorted(service_env))

    def _check_graphs(self, config_path: Path) -> None:
        """Fail before starting anything if langgraph.json or one of its graphs is broken."""
        try:
            GraphRegistry(load_config(config_path))
        except GraphConfigError as exc:
            raise CommandError(f"{config_path}: {exc}") from exc

    def _prepare_database(self, env: dict[str, str]) -> None:
        result = subprocess.run([sys.executable, "manage.py", "prepare"], env=env, cwd=settings.BASE_DIR)
        if result.returncode != 0:
            raise CommandError("preparing the database failed (see above)")

    def _children(self, options: dict[str, Any]) -> list[Child]:
        api = Child(
            "api",
            python_module(
                "uvicorn",
                "agentplatform.asgi:application",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                str(options["api_processes"]),
                "--log-level",
                "warning",
                # Thread streams never end by themselves: on shutdown, close them after a grace period.
                "--timeout-graceful-shutdown",
                str(SHUTDOWN_GRACE_S),
            ),
        )
        workers = [
            Child(
                f"worker-{index}",
                python_module(
                    "celery",
                    "-A",
                    "agentplatform",
                    "worker",
                    # Pool and concurrency come from settings (CELERY_WORKER_POOL, N_JOBS_PER_WORKER).
                    "--hostname",
                    f"worker{index}@%h",
                    "-Q",
                    settings.RUNS_QUEUE,
                    "--loglevel",
                    "WARNING",
                    "--without-mingle",
                    "--without-gossip",
                ),
            )
            for index in range(1, options["workers"] + 1)
        ]
        beat = Child("beat", python_module("celery", "-A", "agentplatform", "beat", "--loglevel", "WARNING"))
        return [api, *workers, beat]

    def _serve(self, env: dict[str, str], options: dict[str, Any], started: list[str]) -> None:
        supervisor = Supervisor(env=env, cwd=Path(settings.BASE_DIR), children=self._children(options))
        stop_requested = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        supervisor.start_all()
        try:
            base = f"http://{options['host']}:{options['port']}"
            wait_until_ready(f"{base}/ok", supervisor.children)
            self._print_ready(base, started)
            while not stop_requested:
                supervisor.supervise_once()
                time.sleep(SUPERVISE_INTERVAL_S)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            self.stdout.write("Stopping...")
            with contextlib.suppress(Exception):
                supervisor.stop_all()

    def _print_ready(self, base: str, started: list[str]) -> None:
        embedded = ", ".join(name.split("_")[0].lower() for name in started) or "none (using DATABASE_URL / REDIS_URL)"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Ready!",
                    f"- API: {base}",
                    f"- Docs: {base}/docs",
                    f"- Admin: {base}/admin/",
                    f"- Embedded servers: {embedded}",
                    "",
                ]
            )
        )
        self.stdout.flush()
