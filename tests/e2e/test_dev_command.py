"""`manage.py dev` on the embedded default: starts everything, stops everything, keeps data."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from apps.devserver.embedded import free_port, port_is_free
from tests.conftest import FIXTURE_CONFIG, wait_for
from tests.e2e.conftest import REPO, run

READY_TIMEOUT_S = 120.0


def embedded_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, **extra}


def start_dev(data_dir: Path, port: int, log: Path, **env: str) -> subprocess.Popen:
    argv = [sys.executable, "manage.py", "dev", "--port", str(port), "--data-dir", str(data_dir)]
    argv += ["--config", str(FIXTURE_CONFIG)]
    return subprocess.Popen(argv, cwd=REPO, env=embedded_env(**env), stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_ready(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Ready!" in text:
            return text
        if process.poll() is not None:
            raise AssertionError(f"dev exited with {process.returncode}:\n{text[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"dev did not get ready:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=60)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_dev_serves_stops_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "dev.log"
    url = f"http://127.0.0.1:{port}"
    process = start_dev(data_dir, port, log, DJANGO_SUPERUSER_USERNAME="ops", DJANGO_SUPERUSER_PASSWORD="pw-123")
    try:
        banner = wait_ready(process, log)
        for line in (f"- API: {url}", f"- Docs: {url}/docs", f"- Admin: {url}/admin/"):
            assert line in banner
        assert "created admin user 'ops'" in banner

        async def first_session() -> str:
            client = get_client(url=url)
            thread = await client.threads.create(metadata={"kept": True})
            await client.runs.wait(
                thread["thread_id"], "agent", input={"messages": [{"role": "user", "content": "hi"}]}
            )
            return thread["thread_id"]

        thread_id = run(first_session())
        assert httpx.get(f"{url}/admin/login/").status_code == 200
        redis_pid = int((data_dir / "redis" / "redis.pid").read_text())
        postgres_pid = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    finally:
        assert stop(process) == 0

    # Every child and both embedded servers are gone (the postmaster may take
    # a few milliseconds to exit after pg_ctl reports it stopped).
    assert port_is_free("127.0.0.1", port)
    assert not pid_alive(redis_pid)
    wait_for(lambda: not pid_alive(postgres_pid), timeout_s=5)

    port, log = free_port(), tmp_path / "dev-restarted.log"  # a fresh log: the old one says Ready! already
    url = f"http://127.0.0.1:{port}"
    process = start_dev(data_dir, port, log)
    try:
        wait_ready(process, log)

        async def second_session() -> dict:
            return await get_client(url=url).threads.get(thread_id)

        thread = run(second_session())
        assert thread["metadata"]["kept"] is True
        assert thread["values"]["messages"][-1]["content"] == "You said: hi"
    finally:
        assert stop(process) == 0


def dev_refusing_to_start(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "dev", *args],
        cwd=REPO,
        env=embedded_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = dev_refusing_to_start("--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


@pytest.mark.parametrize(
    ("graphs", "message"),
    [
        ({"agent": "./missing.py:graph"}, "graph 'agent': file"),
        ({"agent": "./graph.py:nothing"}, "graph 'agent': './graph.py' has no variable 'nothing'"),
    ],
)
def test_broken_graph_fails_at_start_up_naming_the_entry(tmp_path: Path, graphs: dict, message: str) -> None:
    (tmp_path / "graph.py").write_text("x = 1\n")
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": graphs}))
    result = dev_refusing_to_start("--port", str(free_port()), "--config", str(config))
    assert result.returncode != 0
    assert message in result.stderr
