"""End-to-end tests: a live server (`manage.py dev`: uvicorn + Celery worker + beat)
on a free port, driven with the official langgraph_sdk.

The server gets its own fresh database on the PostgreSQL server of
DATABASE_URL, and the Redis of REDIS_URL (both provided by the test command).
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from apps.devserver.embedded import free_port
from tests.conftest import FIXTURE_CONFIG

REPO = Path(__file__).resolve().parents[2]
SERVER_START_TIMEOUT_S = 90.0
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,900",
)


def require_chromium() -> tuple[str, str]:
    """Paths of Debian's chromium and chromedriver (scripts/test installs both).

    Missing: the test is skipped on a developer machine, and fails under CI=true,
    where a browser test that cannot run must not pass as a skip."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium and chromedriver:
        return chromium, chromedriver
    missing = " and ".join(name for name, path in (("chromium", chromium), ("chromedriver", chromedriver)) if not path)
    reason = f"browser test needs {missing} (Debian: apt-get install chromium chromium-driver; scripts/test does)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: {reason}", pytrace=False)
    pytest.skip(reason)


def headless_chromium() -> Any:
    """A Selenium driver on headless Chromium (skips or fails through require_chromium)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = require_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(chromedriver), options=options)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def preflight(url: str, method: str, headers: str, origin: str = "http://localhost:3000") -> httpx.Response:
    """A browser's CORS preflight for `method` on `url` with request headers `headers` (comma-separated)."""
    ask = {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}
    return httpx.options(url, headers=ask)


def database_url_for(name: str) -> str:
    """DATABASE_URL with another database name (URLs with a socket path as host included)."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(database_url_for("postgres"), autocommit=True)


class LiveServer:
    def __init__(
        self, database: str, port: int, log_path: Path, config: Path = FIXTURE_CONFIG, reload: bool = False
    ) -> None:
        self.config = config
        self.reload = reload
        self.database = database
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, extra_env: dict[str, str] | None = None) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for(self.database),
            # Its own Celery queue: other servers on the same Redis must not take its runs.
            "RUNS_QUEUE": f"runs-{self.database}",
            **(extra_env or {}),
        }
        env.setdefault("PYTHONUNBUFFERED", "1")  # "Ready!" reaches the log when printed
        argv = [sys.executable, "manage.py", "dev", "--port", str(self.port), "--config", str(self.config)]
        if not self.reload:  # no file watcher per test server unless the test is about reload
            argv.append("--no-reload")
        self.log = self.log_path.open("ab")
        self.log_start = self.log.tell()  # a restarted server appends: its own "Ready!" comes after this
        self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_ready()

    def wait_ready(self) -> None:
        """Until `manage.py dev` says Ready!: its API answers and its workers answer a ping.

        /ok alone is not enough: a test that stops Redis or PostgreSQL while the workers are
        still starting makes the dev command give up its start-up."""
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()[-4000:]}")
            with self.log_path.open("rb") as log:
                log.seek(self.log_start)
                if b"\nReady!" in log.read():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@contextlib.contextmanager
def live_server(log_dir: Path, config: Path = FIXTURE_CONFIG, reload: bool = False, **env: str) -> Iterator[LiveServer]:
    """`manage.py dev` on a free port with a fresh database of its own."""
    database = f"agentplatform_e2e_{uuid.uuid4().hex[:12]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    server = LiveServer(database, free_port(), log_dir / f"{database}.log", config, reload)
    try:
        server.start(env)
        yield server
    finally:
        server.stop()
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def agent_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture
def url(agent_server: LiveServer) -> str:
    return agent_server.url
