"""SIGTERM a worker mid-run: it stops claiming, lets the run go for its grace period, then puts it
back to pending; the restarted worker runs it to success."""

import os
import signal
from pathlib import Path

from langgraph_sdk import get_client

from tests.conftest import wait_for
from tests.e2e.conftest import live_server, run
from tests.e2e.test_chaos import worker_processes

GRACE = {"WORKER_SHUTDOWN_GRACE_S": "1"}


def test_sigterm_requeues_the_run_in_flight_and_it_still_succeeds(tmp_path: Path) -> None:
    with live_server(tmp_path, **GRACE) as server:

        async def start() -> tuple[dict, dict]:
            client = get_client(url=server.url)
            thread = await client.threads.create()
            config = {"configurable": {"delay": 6}}
            return thread, await client.runs.create(thread["thread_id"], "slow", input={}, config=config)

        thread, created = run(start())

        def status() -> str:
            return run(get_client(url=server.url).runs.get(thread["thread_id"], created["run_id"]))["status"]

        wait_for(lambda: status() == "running", timeout_s=60)
        for worker in worker_processes(server):
            os.kill(worker.pid, signal.SIGTERM)

        wait_for(lambda: "worker shutdown: requeued 1 unfinished runs" in server.log_path.read_text(), timeout_s=30)
        wait_for(lambda: status() == "success", timeout_s=90, interval_s=0.5)
        state = run(get_client(url=server.url).threads.get_state(thread["thread_id"]))
        assert state["values"]["steps"] == ["slept", "finished"]
    log = server.log_path.read_text()
    assert "exited with code -9" not in log  # each worker left by itself, within its grace
