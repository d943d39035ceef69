"""`python manage.py dev`: the whole server in one terminal, like `langgraph dev`.

Reloads the API and the workers when the application's files change (see
apps/devserver/reload.py); a broken edit is reported and the previous version
keeps serving until the next save.

The supervisor lives as long as the server and serves nothing, so it does not set
Django up (manage.py calls `main` directly): settings, models and Celery's app would
hold ~40 MB here for nothing (bench/README.md, idle memory). What needs Django runs in
children: `manage.py prepare`, the graphs' check, the API, the workers and beat.
"""

import argparse
import contextlib
import functools
import os
import queue
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from apps.core import defaults
from apps.devserver.embedded import embedded_services, port_is_free
from apps.devserver.launcher import (
    SUPERVISE_INTERVAL_S,
    Child,
    ChildOutput,
    Supervisor,
    python_module,
    wait_until_ready,
)
from apps.graphs.config import GraphConfigError, LangGraphConfig, apply_environment, load_config

SHUTDOWN_GRACE_S = 5
CHECK_TIMEOUT_S = 120
LOG_FILE = "dev.log"
STUDIO_URL = "https://smith.langchain.com/studio/?baseUrl={base}"
CHAT_UI_URL = "https://agentchat.vercel.app"
HELP = "Start the API, Celery workers and celery beat, on embedded PostgreSQL and Redis unless URLs are set."


def default_worker_processes() -> int:
    """One worker process per core, up to 2: one process's GIL is the first queue a
    burst of runs meets (bench.suite on 2 cores: runs.wait c=8 p50 126 -> 83 ms with a
    second process), and each process costs ~124 MB of RSS (bench/README.md, idle memory)."""
    return max(1, min(2, os.cpu_count() or 1))


def worker_node_name(port: int, index: int) -> str:
    # The port makes names unique among dev servers sharing one Redis (the e2e tests do):
    # the readiness ping must hear this server's workers, not another's.
    return f"dev{port}-worker{index}@{socket.gethostname()}"


def worker_argv(node_name: str) -> list[str]:
    """The one place `manage.py dev` spells a worker's command line: what `celery -A agentplatform
    worker --without-mingle --without-gossip` runs (pool and concurrency from settings), minus the
    ~24 MB of Celery's command line (apps/devserver/celery_process.py)."""
    return python_module(
        "apps.devserver.celery_process",
        "worker",
        "--hostname",
        node_name,
        "--queues",
        defaults.runs_queue(),
        "--loglevel",
        "WARNING",
    )


class DevError(Exception):
    """What stops `manage.py dev`: printed as one line, exit status 1."""


# The graphs' check child exits with this when the settings themselves are refused.
SETTINGS_PROBLEM_EXIT = 3


def graphs_problem(config: LangGraphConfig) -> str | None:
    """Import every graph (and `http.app`) in a forked child; returns what failed, None when all loaded.
    Raises DevError when the settings are refused (a weak SECRET_KEY, a bad value).

    In a child because the supervisor lives as long as the server and needs none of it:
    Django, the graphs and LangGraph would hold ~100 MB here for nothing (the API and the
    workers load them themselves).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report on the pipe, exit without running the parent's exit hooks
        os.close(read_fd)
        code = 1
        try:
            import django

            os.environ["LANGGRAPH_CONFIG"] = str(config.path)  # what the API and the workers will read
            try:
                django.setup()  # also checks the settings (SECRET_KEY, ...) before anything starts
            except ImproperlyConfigured as exc:
                os.write(write_fd, str(exc).encode())
                code = SETTINGS_PROBLEM_EXIT
            else:
                from apps.graphs.registry import GraphRegistry, load_custom_app

                GraphRegistry(config)
                load_custom_app(config)
                code = 0
        except GraphConfigError as exc:
            os.write(write_fd, str(exc).encode())
        except BaseException:
            os.write(write_fd, traceback.format_exc().encode())
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        message = pipe.read().decode(errors="replace").strip()
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if code == 0:
        return None
    if code == SETTINGS_PROBLEM_EXIT:  # not the graphs' fault: said without langgraph.json's path
        raise DevError(message)
    return message or f"loading the graphs failed (exit code {code})"


class WorkerPing:
    """Whether the named workers answer a Celery control ping, asked by a child process
    (apps/devserver/worker_ping.py); one per wait, closed after it."""

    def __init__(self, broker_url: str, node_names: list[str], env: dict[str, str]) -> None:
        self.argv = python_module("apps.devserver.worker_ping", broker_url, *node_names)
        self.env = env
        self.process: subprocess.Popen | None = None

    def __call__(self) -> bool:
        if self.process is not None and self.process.poll() not in (None, 0):
            self.process = None  # it failed (an import error would show at the workers' start too): ask again
        if self.process is None:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=defaults.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
        return self.process.poll() == 0

    def __enter__(self) -> "WorkerPing":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Lines:
    """A text stream whose every write ends a line, as Django commands' output does."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        self.stream.write(text if text.endswith("\n") else text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py dev", description=HELP)
    parser.add_argument("--config", default=defaults.langgraph_config(), help="path to langgraph.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2024)
    parser.add_argument("--data-dir", default=".agentplatform", help="where embedded servers keep their data")
    parser.add_argument("--workers", type=int, default=default_worker_processes(), help="Celery worker processes")
    parser.add_argument("--jobs-per-worker", type=int, default=defaults.n_jobs_per_worker())
    parser.add_argument("--api-processes", type=int, default=1)
    parser.add_argument(
        "--no-reload",
        action="store_true",
        help="do not restart the API and workers when the application's files change",
    )
    parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=1, help="2: echo every log line")
    parser.add_argument("--settings", help="the settings module the server's processes use (DJANGO_SETTINGS_MODULE)")
    return parser


def main(argv: list[str]) -> int:
    """`manage.py dev ARGS`: serves until Ctrl-C or SIGTERM; the exit status."""
    try:
        options = vars(argument_parser().parse_args(argv))
        if options["settings"]:
            os.environ["DJANGO_SETTINGS_MODULE"] = options["settings"]
        DevServer(stdout=Lines(sys.stdout), stderr=Lines(sys.stderr)).handle(**options)
    except (DevError, ImproperlyConfigured) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    except KeyboardInterrupt:  # Ctrl-C before serving (once serving, it is a stop request)
        return 130
    return 0


class DevServer:
    """Checks the graphs, starts the embedded servers and the children, supervises and reloads them."""

    def __init__(self, stdout: Lines, stderr: Lines) -> None:
        self.stdout, self.stderr = stdout, stderr

    def handle(self, **options: Any) -> None:
        config_path = Path(options["config"]).resolve()
        # Before the check loads langgraph.json's `env` into this process: children must read the
        # env file themselves, so that an edit of it takes effect at the next reload.
        environ = dict(os.environ)
        config = self._check_graphs(config_path)
        if not port_is_free(options["host"], options["port"]):
            raise DevError(f"port {options['port']} on {options['host']} is already in use; pick another with --port")
        data_dir = Path(options["data_dir"]).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        need_pg = "DATABASE_URL" not in os.environ
        need_redis = "REDIS_URL" not in os.environ
        with embedded_services(data_dir, need_postgres=need_pg, need_redis=need_redis) as service_env:
            # Server URLs may come from the env file: settings read them before any graph is loaded.
            urls = {name: os.environ[name] for name in ("DATABASE_URL", "REDIS_URL") if name in os.environ}
            env = {**environ, **urls, **service_env, "LANGGRAPH_CONFIG": str(config_path), "PYTHONUNBUFFERED": "1"}
            env["N_JOBS_PER_WORKER"] = str(options["jobs_per_worker"])
            # Local development posts webhooks to local receivers; production refuses private addresses.
            env.setdefault("WEBHOOK_ALLOW_PRIVATE", "true")
            # Celery warns at every start when run as root (as in containers); say it once, here.
            env.setdefault("PYTHONWARNINGS", "ignore:You're running the worker with superuser privileges")
            output = ChildOutput(self._fresh_log(data_dir), terminal=sys.stdout, always_echo=options["verbosity"] >= 2)
            try:
                self._prepare_database(env, output)
                self._serve(env, options, config, data_dir, output, started=sorted(service_env))
            finally:
                output.close()

    def _check_graphs(self, config_path: Path) -> LangGraphConfig:
        """Fail before starting anything if langgraph.json or one of its graphs is broken."""
        try:
            config = load_config(config_path)
        except GraphConfigError as exc:
            raise DevError(f"{config_path}: {exc}") from exc
        apply_environment(config)  # the servers' URLs may come from langgraph.json's env
        problem = graphs_problem(config)
        if problem is not None:
            raise DevError(f"{config_path}: {problem}")
        return config

    @staticmethod
    def _fresh_log(data_dir: Path) -> Path:
        """This session's log; the previous one is kept beside it as dev.log.1."""
        log = data_dir / LOG_FILE
        with contextlib.suppress(FileNotFoundError):
            log.replace(data_dir / f"{LOG_FILE}.1")
        return log

    def _manage(
        self, env: dict[str, str], output: ChildOutput, *command: str, timeout_s: float | None = None
    ) -> subprocess.CompletedProcess:
        """A manage.py command in a fresh process (fresh imports of the user's code), logged."""
        argv = [sys.executable, "manage.py", *command]
        try:
            result = subprocess.run(
                argv,
                env=env,
                cwd=defaults.BASE_DIR,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout_s,
            )
        except subprocess.TimeoutExpired:
            # A graph whose import hangs: say so, as any other failure.
            result = subprocess.CompletedProcess(argv, 124, "", f"manage.py {command[0]} took over {timeout_s:.0f} s")
        for text in (result.stdout, result.stderr):
            if text:
                output.write(text if text.endswith("\n") else text + "\n")
        return result

    def _prepare_database(self, env: dict[str, str], output: ChildOutput) -> None:
        result = self._manage(env, output, "prepare")
        if result.returncode != 0:
            raise DevError(f"preparing the database failed:\n{result.stderr.strip()}")
        # What prepare did (default assistants, the admin user) is worth a line each.
        self.stdout.write(result.stdout.rstrip())

    def _children(self, options: dict[str, Any]) -> tuple[Child, list[Child], Child]:
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
            Child(f"worker-{index}", worker_argv(worker_node_name(options["port"], index)))
            for index in range(1, options["workers"] + 1)
        ]
        beat = Child("beat", python_module("apps.devserver.celery_process", "beat", "--loglevel", "WARNING"))
        return api, workers, beat

    def _serve(
        self,
        env: dict[str, str],
        options: dict[str, Any],
        config: LangGraphConfig,
        data_dir: Path,
        output: ChildOutput,
        started: list[str],
    ) -> None:
        api, workers, beat = self._children(options)
        supervisor = Supervisor(env=env, cwd=defaults.BASE_DIR, children=[api, *workers, beat], output=output)
        broker_url = env.get("CELERY_BROKER_URL") or env.get("REDIS_URL") or defaults.broker_url()
        node_names = [worker_node_name(options["port"], index) for index in range(1, len(workers) + 1)]
        workers_ready = functools.partial(WorkerPing, broker_url, node_names, env)
        watcher = None
        if not options["no_reload"]:
            from apps.devserver.reload import FileWatcher, watched_paths

            watcher = FileWatcher(watched_paths(config), ignore_paths=[data_dir])
        stop_requested = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stop_requested
            stop_requested = True

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        supervisor.start_all()
        if watcher is not None:
            watcher.start()
        base = f"http://{options['host']}:{options['port']}"
        try:
            with workers_ready() as ping:
                wait_until_ready(f"{base}/ok", supervisor.children, others_ready=ping)
            output.unmute()
            self._print_ready(self._display_base(options), config, data_dir, started, watcher)
            while not stop_requested:
                if watcher is None:
                    time.sleep(SUPERVISE_INTERVAL_S)
                else:
                    try:
                        changed = watcher.changes.get(timeout=SUPERVISE_INTERVAL_S)
                    except queue.Empty:
                        changed = set()
                    while not watcher.changes.empty():  # saves during a reload: one more reload covers them
                        changed |= watcher.changes.get_nowait()
                    if changed:
                        self._reload(changed, supervisor, api, workers, beat, config, env, output, base, workers_ready)
                supervisor.supervise_once()
        except RuntimeError as exc:
            raise DevError(str(exc)) from exc
        finally:
            if watcher is not None:
                watcher.stop()
            output.mute()  # shutdown chatter goes to the log only
            self.stdout.write("Stopping...")
            with contextlib.suppress(Exception):
                supervisor.stop_all()

    def _reload(
        self,
        changed: set[str],
        supervisor: Supervisor,
        api: Child,
        workers: list[Child],
        beat: Child,
        config: LangGraphConfig,
        env: dict[str, str],
        output: ChildOutput,
        base: str,
        workers_ready: Callable[[], WorkerPing],
    ) -> None:
        """Check the new code in a fresh process; if it loads, restart the API and the workers on it."""
        names = sorted(os.path.relpath(path, config.base_dir) for path in changed)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        self.stdout.write(f"Changed: {shown}. Reloading...")
        started = time.monotonic()
        # sync_graphs imports every graph (and creates a default assistant for a new one).
        check = self._manage(env, output, "sync_graphs", timeout_s=CHECK_TIMEOUT_S)
        if check.returncode != 0:
            reason = check.stderr.strip().splitlines()[-1] if check.stderr.strip() else f"exit {check.returncode}"
            # The running processes stay up (graphs they already loaded keep working); a run
            # that imports the broken file fails with this same error until the next save.
            self.stderr.write(f"Reload failed: {reason}\nThe server keeps running; waiting for the next change.")
            return
        restart = [api, *workers]
        if str(config.path) in changed:  # beat reads langgraph.json (sweep intervals), not the graphs
            restart.append(beat)
        checked = time.monotonic()
        output.mute()
        supervisor.restart(restart)
        restarted = time.monotonic()
        try:
            with workers_ready() as ping:
                wait_until_ready(f"{base}/ok", restart, others_ready=ping)
        except RuntimeError as exc:
            output.unmute()
            self.stderr.write(f"Reload failed: {exc}\nWaiting for the next change.")
            return
        output.unmute()
        now = time.monotonic()
        output.write(
            f"reload timings: check {checked - started:.1f} s, stop {restarted - checked:.1f} s, "
            f"start {now - restarted:.1f} s\n"
        )
        self.stdout.write(f"Reloaded in {now - started:.1f} s.")

    @staticmethod
    def _display_base(options: dict[str, Any]) -> str:
        # A wildcard bind is reachable on loopback; that is the URL to paste in a browser.
        host = "127.0.0.1" if options["host"] in ("0.0.0.0", "::", "") else options["host"]  # noqa: S104
        return f"http://{host}:{options['port']}"

    def _print_ready(
        self, base: str, config: LangGraphConfig, data_dir: Path, started: list[str], watcher: Any
    ) -> None:
        base += config.mount_prefix  # http.mount_prefix: the API is served below it
        embedded = ", ".join(name.split("_")[0].lower() for name in started) or "none (using DATABASE_URL / REDIS_URL)"
        graphs = ", ".join(config.graphs)
        first_graph = next(iter(config.graphs))
        reload = (
            "on, watching " + ", ".join(map(str, watcher.paths)) + " (--no-reload turns it off)"
            if watcher is not None
            else "off"
        )
        lines = [
            "",
            "Ready!",
            f"- API: {base}",
            f"- Docs: {base}/docs",
            f"- Admin: {base}/admin/",
            f"- LangGraph Studio: {STUDIO_URL.format(base=base)}",
            f"- Agent Chat UI: {CHAT_UI_URL} (Deployment URL: {base}, Assistant / Graph ID: {first_graph})",
            f"- Graphs: {graphs}",
            f"- Embedded servers: {embedded}",
            f"- Reload: {reload}",
            f"- Log: {data_dir / LOG_FILE}",
            "",
        ]
        self.stdout.write("\n".join(lines))
        self.stdout.flush()
