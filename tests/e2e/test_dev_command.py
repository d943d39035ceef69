"""`manage.py dev` on the embedded default: starts everything, stops everything, keeps data."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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


def stop(process: subprocess.Popen, log: Path | None = None) -> int:
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=60)
    if code != 0 and log is not None:
        print(log.read_text(errors="replace")[-4000:])
    return code


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Outside pytest's basetemp: embedded PostgreSQL runs as another user and needs to traverse
    the path to its data, and a concurrent pytest session resets /tmp/pytest-of-<user> to 0700."""
    path = Path(tempfile.mkdtemp(prefix="agentplatform-dev-e2e-"))
    yield path / "data"
    shutil.rmtree(path, ignore_errors=True)


def test_dev_serves_stops_and_keeps_data_across_restarts(tmp_path: Path, data_dir: Path) -> None:
    port, log = free_port(), tmp_path / "dev.log"
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
        assert stop(process, log) == 0

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
        assert stop(process, log) == 0


def dev_refusing_to_start(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "dev", *args],
        cwd=REPO,
        env=embedded_env(**env),
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


def test_refused_settings_are_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    # The supervisor loads no settings itself: the graphs' check, in a child, sets Django up first.
    result = dev_refusing_to_start(
        "--port", str(free_port()), "--data-dir", str(tmp_path), SECRET_KEY="too-short", DEBUG="false"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: SECRET_KEY is too weak")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "postgres").exists()  # nothing was started


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


GRAPH_SOURCE = """
from typing import TypedDict

from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    reply: str


def answer(state: State) -> State:
    return {"reply": REPLY}


graph = StateGraph(State).add_node("answer", answer).add_edge(START, "answer").compile()
"""


def write_graph(app: Path, body: str) -> None:
    # Write-then-rename, as editors save: the watcher never sees a half-written file.
    scratch = app / "graph.py.tmp"
    scratch.write_text(body)
    scratch.replace(app / "graph.py")


def wait_for_log(log: Path, needle: str, count: int, timeout_s: float = 90.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if text.count(needle) >= count:
            return text
        time.sleep(0.2)
    raise AssertionError(f"{needle!r} x{count} not in the log:\n{log.read_text()[-4000:]}")


def reply(url: str) -> str:
    async def ask() -> str:
        values = await get_client(url=url).runs.wait(None, "echo", input={})
        return values["reply"]

    return run(ask())


def test_dev_reloads_an_edited_graph_and_survives_a_broken_edit(tmp_path: Path) -> None:
    from tests.e2e.conftest import live_server

    app = tmp_path / "app"
    app.mkdir()
    (app / "langgraph.json").write_text(json.dumps({"graphs": {"echo": "./graph.py:graph"}}))
    write_graph(app, 'REPLY = "v1"\n' + GRAPH_SOURCE)
    with live_server(tmp_path, config=app / "langgraph.json", reload=True) as server:
        log = server.log_path
        ready = wait_for_log(log, "Ready!", 1)
        assert f"- Reload: on, watching {app}" in ready
        assert reply(server.url) == "v1"

        write_graph(app, 'REPLY = "v2"\n' + GRAPH_SOURCE)
        wait_for_log(log, "Reloaded in", 1)
        assert reply(server.url) == "v2"

        # A broken save: the error is printed, and the server stays up for the next save.
        write_graph(app, 'REPLY = "v3"\n' + GRAPH_SOURCE + "\ndef broken(:\n")
        text = wait_for_log(log, "Reload failed", 1)
        assert "SyntaxError" in text
        assert "waiting for the next change" in text
        time.sleep(1)
        assert server.process.poll() is None
        assert httpx.get(f"{server.url}/ok").status_code == 200

        # The next good save is picked up.
        write_graph(app, 'REPLY = "v3"\n' + GRAPH_SOURCE)
        text = wait_for_log(log, "Reloaded in", 2)
        assert reply(server.url) == "v3"
        print(*(line for line in text.splitlines() if "Reloaded in" in line), sep="\n")  # the timings, with -s


def test_ready_block_comes_last_without_start_up_noise(tmp_path: Path) -> None:
    from tests.e2e.conftest import live_server

    with live_server(tmp_path) as server:
        text = wait_for_log(server.log_path, "Ready!", 1)
        time.sleep(2)  # anything printed late would follow the block
        text = server.log_path.read_text(errors="replace")
    ready_at = text.index("Ready!")
    before, block = text[:ready_at], text[ready_at:]
    url = server.url
    for line in (
        f"- API: {url}",
        f"- Docs: {url}/docs",
        f"- Admin: {url}/admin/",
        f"- LangGraph Studio: https://smith.langchain.com/studio/?baseUrl={url}",
        f"- Agent Chat UI: https://agentchat.vercel.app (Deployment URL: {url}",
    ):
        assert line in block
    # Celery's banners, its beat greeting and library warnings stay in the data folder's log.
    for noise in ("-------------- ", "celery beat v", "Warning", "[queues]"):
        assert noise not in text
    assert block.rstrip().endswith("dev.log")
    assert "Stopping..." not in before
