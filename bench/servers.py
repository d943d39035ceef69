"""Start the servers a benchmark compares: ours (`manage.py dev`, or the README's production
commands) and, if installed, upstream's `langgraph dev`."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from apps.devserver.embedded import embedded_services, free_port

REPO = Path(__file__).resolve().parents[1]
BENCH_APP = Path(__file__).resolve().parent / "app"
START_TIMEOUT_S = 120.0
# Production mode (DEBUG=false) refuses weak or placeholder keys; a fresh one per bench process.
BENCH_SECRET_KEY = secrets.token_urlsafe(50)


def wait_ok(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/ok", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def ours(
    workers: int | None = None,
    jobs_per_worker: int = 10,
    api_processes: int = 1,
    repo: Path = REPO,
    debug: bool = False,
) -> Iterator[str]:
    """Our server on the embedded default, in a throwaway data folder (workers: dev's default when None).

    `repo`: the checkout to run (bench.compare_builds runs an older build this way)."""
    with ours_process(workers, jobs_per_worker, api_processes, repo, debug) as (url, _):
        yield url


def server_env(debug: bool = False) -> dict[str, str]:
    """This environment without server URLs, in production mode unless `debug`, without API keys."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DEBUG"] = "true" if debug else "false"
    env["SECRET_KEY"] = BENCH_SECRET_KEY
    env["API_KEYS_DISABLED"] = "true"
    env["ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    return env


@contextmanager
def ours_process(
    workers: int | None = None,
    jobs_per_worker: int = 10,
    api_processes: int = 1,
    repo: Path = REPO,
    debug: bool = False,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`ours`, also yielding the `manage.py dev` process (bench.memory walks its children)."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-ours-"))
    port, log = free_port(), data_dir / "server.log"
    env = server_env(debug)
    argv = [
        sys.executable, "manage.py", "dev", "--port", str(port), "--data-dir", str(data_dir / "data"),
        "--config", str(BENCH_APP / "langgraph.json"),
        "--jobs-per-worker", str(jobs_per_worker), "--api-processes", str(api_processes),
    ]  # fmt: skip
    if workers is not None:
        argv += ["--workers", str(workers)]
    process = subprocess.Popen(argv, cwd=repo, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(url, process, log)
        yield url, process
    finally:
        stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def production(workers: int = 2) -> Iterator[str]:
    """Ours started as the README deploys it without Docker: `manage.py prepare`, then uvicorn,
    `celery -A agentplatform worker -Q runs` (x workers) and `celery -A agentplatform beat`, each
    with its production defaults, on embedded PostgreSQL and Redis in a throwaway folder."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-production-"))
    log = data_dir / "server.log"
    celery = str(Path(sys.executable).with_name("celery"))
    nodes = [f"bench-production-{index}@{socket.gethostname()}" for index in range(1, workers + 1)]
    processes: list[subprocess.Popen] = []
    try:
        with embedded_services(data_dir) as urls:
            env = {**server_env(), **urls, "LANGGRAPH_CONFIG": str(BENCH_APP / "langgraph.json")}
            subprocess.run([sys.executable, "manage.py", "prepare"], cwd=REPO, env=env, check=True, capture_output=True)
            port = free_port()
            commands = [
                [sys.executable, "-m", "uvicorn", "agentplatform.asgi:application", "--port", str(port),
                 "--log-level", "warning"],
                *([celery, "-A", "agentplatform", "worker", "-Q", "runs", "--hostname", node, "--loglevel", "WARNING"]
                  for node in nodes),
                [celery, "-A", "agentplatform", "beat", "--loglevel", "WARNING"],
            ]  # fmt: skip
            with log.open("wb") as output:
                for argv in commands:
                    processes.append(subprocess.Popen(argv, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT))
            url = f"http://127.0.0.1:{port}"
            wait_ok(url, processes[0], log)
            # Every worker consumes before the first measurement (as `manage.py dev` waits for them).
            ping = [sys.executable, "-m", "apps.devserver.worker_ping", urls["REDIS_URL"], *nodes]
            subprocess.run(ping, cwd=REPO, env=env, check=True, timeout=START_TIMEOUT_S)
            yield url
    finally:
        for process in processes:
            stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def upstream(extra_args: tuple[str, ...] = ()) -> Iterator[str | None]:
    """Upstream's in-memory `langgraph dev`, when `langgraph` is on PATH (pip install "langgraph-cli[inmem]").

    `extra_args`: more `langgraph dev` options (e.g. `--n-jobs-per-worker 1000`)."""
    with upstream_process(extra_args) as started:
        yield None if started is None else started[0]


@contextmanager
def upstream_process(extra_args: tuple[str, ...] = ()) -> Iterator[tuple[str, subprocess.Popen] | None]:
    """`upstream`, also yielding the `langgraph dev` process; None when it is not installed."""
    executable = os.environ.get("LANGGRAPH_CLI") or shutil.which("langgraph")
    if not executable:
        yield None
        return
    work = Path(tempfile.mkdtemp(prefix="bench-upstream-"))
    shutil.copytree(BENCH_APP, work / "app")
    port, log = free_port(), work / "server.log"
    argv = [executable, "dev", "--port", str(port), "--no-browser", "--no-reload", *extra_args]
    process = subprocess.Popen(argv, cwd=work / "app", stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ok(url, process, log)
        yield url, process
    finally:
        stop(process)
        shutil.rmtree(work, ignore_errors=True)
