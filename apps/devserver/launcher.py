"""The process supervisor behind `manage.py dev`.

Starts the API (uvicorn), Celery workers and celery beat as child processes
with the same environment, restarts a child that dies, restarts a chosen set
of them on demand (reload), and stops them all on Ctrl-C / SIGTERM. Knows
nothing of how the database and Redis were found.

Every line the children print goes to a log file in the data folder. The
terminal shows it only while the server is serving: start-up and reload
chatter (Celery's banners, library warnings) stays in the file, so the Ready
block is the last thing printed; `-v 2` shows everything.
"""

import collections
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

logger = logging.getLogger("agentplatform.dev")

READY_TIMEOUT_S = 60.0
# Longer than the worker's own grace (WORKER_SHUTDOWN_GRACE_S) so it can requeue what is left.
STOP_GRACE_S = 20.0
SUPERVISE_INTERVAL_S = 0.5
RESTART_BACKOFF_S = 1.0
# Lines of a child's output kept in memory, shown when it dies during start-up.
TAIL_LINES = 40


class ChildOutput:
    """Where children's output goes: always the log file; the terminal while `echo` is on."""

    def __init__(self, log_path: Path, terminal: IO[str], always_echo: bool = False) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path
        self._log = log_path.open("a", encoding="utf-8", errors="replace")
        self._terminal = terminal
        self._lock = threading.Lock()
        self.always_echo = always_echo
        self.echo = always_echo

    def write(self, line: str) -> None:
        with self._lock:
            self._log.write(line)
            self._log.flush()
            if self.echo or self.always_echo:
                self._terminal.write(line)
                self._terminal.flush()

    def mute(self) -> None:
        self.echo = False

    def unmute(self) -> None:
        self.echo = True

    def close(self) -> None:
        with self._lock:
            self._log.close()


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: int = 0
    tail: collections.deque = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))

    def start(self, env: dict[str, str], cwd: Path, output: ChildOutput | None = None) -> None:
        # Own process group: Ctrl-C in the terminal reaches only us, and we stop
        # children in order.
        if output is None:
            self.process = subprocess.Popen(self.argv, env=env, cwd=cwd, start_new_session=True)
            return
        self.tail.clear()
        self.process = subprocess.Popen(
            self.argv,
            env=env,
            cwd=cwd,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
        )
        threading.Thread(
            target=self._forward, args=(self.process.stdout, output), name=f"output-{self.name}", daemon=True
        ).start()

    def _forward(self, stream: IO[str], output: ChildOutput) -> None:
        for line in stream:
            self.tail.append(line)
            output.write(line)
        stream.close()

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self, grace_s: float) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            self.process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, grace_s: float) -> None:
        self.terminate()
        self.wait_stopped(grace_s)


@dataclass
class Supervisor:
    env: dict[str, str]
    cwd: Path
    children: list[Child] = field(default_factory=list)
    output: ChildOutput | None = None
    stopping: bool = False

    def start_all(self) -> None:
        for child in self.children:
            child.start(self.env, self.cwd, self.output)

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
            child.start(self.env, self.cwd, self.output)
            restarted = True
        return restarted

    def restart(self, children: Iterable[Child]) -> None:
        """Stop these children together (each gets its grace), then start them again."""
        children = list(children)
        for child in children:
            child.terminate()
        for child in children:
            child.wait_stopped(STOP_GRACE_S)
        for child in children:
            child.start(self.env, self.cwd, self.output)

    def stop_all(self) -> None:
        self.stopping = True
        # The API first (no new runs), then the worker (finishes or requeues), then beat.
        for child in self.children:
            child.stop(STOP_GRACE_S)


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def api_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until_ready(
    url: str,
    children: list[Child],
    timeout_s: float = READY_TIMEOUT_S,
    others_ready: Callable[[], bool] = lambda: True,
) -> None:
    """Poll the health endpoint (and `others_ready`, e.g. the workers) until both answer.

    Raises RuntimeError, with the dead child's last lines, if a child dies or time runs out.
    """
    deadline = time.monotonic() + timeout_s
    api_ok = False
    while time.monotonic() < deadline:
        for child in children:
            if child.exited() is not None:
                tail = "".join(child.tail).rstrip()
                raise RuntimeError(
                    f"{child.name} exited with code {child.exited()} during start-up" + (f":\n{tail}" if tail else "")
                )
        api_ok = api_ok or api_answers(url)
        if api_ok and others_ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not get ready ({url}) within {timeout_s:.0f} s")
