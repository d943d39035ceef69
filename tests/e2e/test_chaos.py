"""SIGKILL every worker mid-run under load: every run still succeeds, the killed run resumes from its checkpoint."""

import os
import signal
import time
from pathlib import Path

import psutil
from langgraph_sdk import get_client

from tests.conftest import wait_for
from tests.e2e.conftest import LiveServer, live_server, run

RUNS = 100
FINISH_DEADLINE_S = 180.0
# Short leases so the sweeper notices the dead worker within seconds.
FAST_RECOVERY = {
    "RUN_LEASE_S": "3",
    "THREAD_LOCK_TTL_S": "3",
    "THREAD_LOCK_RENEW_S": "1",
    "SWEEP_INTERVAL_S": "1",
    "PENDING_REDISPATCH_AFTER_S": "3",
}


def worker_processes(server: LiveServer) -> list[psutil.Process]:
    children = psutil.Process(server.process.pid).children(recursive=True)
    workers = [p for p in children if "worker" in " ".join(p.cmdline()) and "celery" in " ".join(p.cmdline())]
    assert workers, "no Celery worker process found"
    return workers


async def launch(url: str, log_path: Path) -> tuple[dict, list[tuple[str, str]]]:
    client = get_client(url=url)
    others = []
    for _ in range(RUNS - 1):
        other = await client.threads.create()
        created = await client.runs.create(other["thread_id"], "packaged", input={"count": 1})
        others.append((other["thread_id"], created["run_id"]))
    # Last: creating the others takes seconds on a busy machine, and the kill must land inside step_two.
    thread = await client.threads.create()
    # durability="sync": each step's checkpoint is stored before the next step starts (with the
    # default "async" a busy worker may still be writing step_one's when it is killed).
    counted = await client.runs.create(
        thread["thread_id"],
        "counted",
        input={},
        config={"configurable": {"delay": 4, "log_path": str(log_path)}},
        durability="sync",
    )
    return {"thread_id": thread["thread_id"], "run_id": counted["run_id"]}, others


async def statuses(url: str, runs: list[tuple[str, str]]) -> list[str]:
    client = get_client(url=url)
    return [(await client.runs.get(thread_id, run_id))["status"] for thread_id, run_id in runs]


def test_sigkilled_worker_loses_no_run(tmp_path: Path) -> None:
    log_path = tmp_path / "steps.log"
    with live_server(tmp_path, **FAST_RECOVERY) as server:
        counted, others = run(launch(server.url, log_path))
        # Kill every worker process (whichever runs it) while the counted run sleeps inside step_two.
        wait_for(lambda: log_path.exists() and "step_two started" in log_path.read_text(), timeout_s=60)
        for victim in worker_processes(server):
            os.kill(victim.pid, signal.SIGKILL)

        everything = [(counted["thread_id"], counted["run_id"]), *others]
        deadline = time.monotonic() + FINISH_DEADLINE_S
        while time.monotonic() < deadline:
            current = run(statuses(server.url, everything))
            if all(status == "success" for status in current):
                break
            time.sleep(1)
        assert current.count("success") == RUNS, f"not all runs succeeded: {sorted(set(current))}"

        state = run(get_client(url=server.url).threads.get_state(counted["thread_id"]))
        assert state["values"]["steps"] == ["one", "two", "three"]
        attempts = run(get_client(url=server.url).runs.get(counted["thread_id"], counted["run_id"]))
        assert attempts["status"] == "success"

    # `manage.py dev` noticed the dead workers and started new ones.
    assert "worker-1 exited with code -9; restarting" in server.log_path.read_text()
    executed = log_path.read_text().splitlines()
    # step_one finished before the kill and ran once; step_two was cut and ran again; step_three once.
    assert executed.count("step_one") == 1
    assert executed.count("step_two started") == 2
    assert executed.count("step_two finished") == 1
    assert executed.count("step_three") == 1
