"""PostgreSQL or Redis going away: the API says 503 and recovers; no run is lost or stuck; API keys."""

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import AuthenticationError

from apps.devserver.embedded import EmbeddedPostgres, EmbeddedRedis, free_port
from tests.conftest import FIXTURE_CONFIG, wait_for
from tests.e2e.conftest import REPO, live_server, run
from tests.e2e.test_chaos import FAST_RECOVERY


def start_api(database_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LANGGRAPH_CONFIG": str(FIXTURE_CONFIG),
        "DB_POOL_TIMEOUT_S": "2",
    }
    subprocess.run([sys.executable, "manage.py", "prepare"], cwd=REPO, env=env, check=True, capture_output=True)
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "agentplatform.asgi:application", "--port", str(port)]
    process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/ok", timeout=1):
                return True
        except OSError:
            return False

    wait_for(answers, timeout_s=60)
    return process, url


def test_postgres_outage_is_503_and_the_api_recovers_by_itself(tmp_path: Path) -> None:
    postgres = EmbeddedPostgres(tmp_path / "pg")
    database_url = postgres.start()
    process, url = start_api(database_url, tmp_path / "api.log")
    try:
        thread = httpx.post(f"{url}/threads", json={}).json()
        postgres.stop()
        down = httpx.get(f"{url}/threads/{thread['thread_id']}", timeout=30)
        assert down.status_code == 503
        assert down.json()["detail"].startswith("Service unavailable")
        postgres.start()
        wait_for(lambda: httpx.get(f"{url}/threads/{thread['thread_id']}", timeout=30).status_code == 200, 30)
    finally:
        process.terminate()
        process.wait(timeout=30)
        postgres.stop()


def test_redis_restart_loses_no_run_and_leaves_none_stuck(tmp_path: Path) -> None:
    redis_server = EmbeddedRedis(tmp_path / "redis")
    redis_url = redis_server.start()
    try:
        with live_server(tmp_path, REDIS_URL=redis_url, **FAST_RECOVERY) as server:

            async def create(graph: str, config: dict) -> tuple[str, str]:
                client = get_client(url=server.url)  # one per event loop
                thread = await client.threads.create()
                created = await client.runs.create(thread["thread_id"], graph, input={}, config=config)
                return thread["thread_id"], created["run_id"]

            slow = run(create("slow", {"configurable": {"delay": 3}}))
            redis_server.stop()
            # While Redis is down runs are still accepted: PostgreSQL holds them.
            during = [run(create("slow", {"configurable": {"delay": 0.01}})) for _ in range(3)]
            time.sleep(2)
            redis_server.start()

            async def statuses() -> list[str]:
                fresh = get_client(url=server.url)
                return [(await fresh.runs.get(t, r))["status"] for t, r in [slow, *during]]

            wait_for(lambda: run(statuses()) == ["success"] * 4, timeout_s=120, interval_s=1)
    finally:
        redis_server.stop()  # the restarted one too: no server outlives the test


def test_api_keys_through_the_sdk(tmp_path: Path) -> None:
    with live_server(tmp_path, API_KEYS="secret-1,secret-2") as server:

        async def with_key(key: str | None) -> dict:
            return await get_client(url=server.url, api_key=key).threads.create()

        assert run(with_key("secret-2"))["thread_id"]
        with pytest.raises(AuthenticationError):
            run(with_key("wrong"))
        assert httpx.get(f"{server.url}/ok").status_code == 200
        assert httpx.get(f"{server.url}/threads/{uuid.uuid4()}").status_code == 401
