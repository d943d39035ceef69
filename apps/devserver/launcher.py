"""The process supervisor behind `manage.py dev`.

Starts the API (uvicorn), a Celery worker and celery beat as child processes
with the same environment, restarts a child that dies, and stops them all on
Ctrl-C / SIGTERM. Knows nothing of how the database and Redis were found.
"""

import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("agentplatform.dev")

READY_TIMEOUT_S = 60.0
# Longer than the worker's own grace (WORKER_SHUTDOWN_GRACE_S) so it can requeue what is left.
STOP_GRACE_S = 20.0
SUPERVISE_INTERVAL_S = 0.5
RESTART_BACKOFF_S = 1.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0

    def start(self, env: dict[str, str], cwd: Path) -> None:
        # Own process group: Ctrl-C in the terminal reaches only us, and we stop
        # children in order.
        self.process = subprocess.Popen(self.argv, env=env, cwd=cwd, start_new_session=True)

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, grace_s: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Supervisor:
    env: dict[str, str]
    cwd: Path
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def start_all(self) -> None:
        for child in self.children:
            child.start(self.env, self.cwd)

    def supervise_once(self) -> bool:
        """Restart children that died; returns whether any was restarted."""
        restarted = False
        for child in self.children:
            code = child.exited()
            if code is None or self.stopping:
                continue
            child.restarts += 1
            logger.warning("%s exited with code %s; restarting (restart #%d)", child.name, code, child.restarts)
            time.sleep(RESTART_BACKOFF_S)
            child.start(self.env, self.cwd)
            restarted = True
        return restarted

    def stop_all(self) -> None:
        self.stopping = True
        # The API first (no new runs), then the worker (finishes or requeues), then beat.
        for child in self.children:
            child.stop(STOP_GRACE_S)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def wait_until_ready(url: str, children: list[Child], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Poll the health endpoint at start-up only; raises if a child dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child in children:
            if child.exited() is not None:
                raise RuntimeError(f"{child.name} exited with code {child.exited()} during start-up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the API did not answer {url} within {timeout_s:.0f} s")
