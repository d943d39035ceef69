"""PostgreSQL or Redis going away: the API says 503 and recovers; no run is lost or stuck; API keys."""

import os
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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


# ---------------------------------------------------------------- outages under load

OUTAGE_S = 10.0
LOAD_RUNS = 200
RUN_DELAY_S = 1.0  # each run's graph sleeps this long: many are in flight when the outage starts
PROMPT_503_S = 2.0  # "within about a second": a checkout waits DB_POOL_TIMEOUT_S (1 s), plus scheduling
RECOVERY_S = 30.0  # after the server is back, every probe answers 200 within this
ALL_RUNS_END_S = 180.0
PROBE_FINISH_S = 30.0  # once stopped, each probe's last request (a wait of a run without delay) answers within this


@dataclass
class Answer:
    probe: str
    status: int | str  # an HTTP status, or the name of the transport error (a cut connection)
    seconds: float
    at: float  # time.monotonic() when it was answered
    body: bytes = b""


@dataclass
class Probes:
    """Requests sent in loops, each from a thread of its own, while the outage comes and goes."""

    url: str
    thread_id: str
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def requests(self) -> list[tuple[str, str, str, dict | None]]:
        wait = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0}}}
        return [
            ("get thread", "GET", f"/threads/{self.thread_id}", None),
            ("get state", "GET", f"/threads/{self.thread_id}/state", None),
            ("search threads", "POST", "/threads/search", {"limit": 1}),
            ("search store", "POST", "/store/items/search", {"namespace_prefix": ["probe"]}),
            ("wait", "POST", "/runs/wait", wait),
        ]

    def probe(self, name: str, method: str, path: str, body: dict | None) -> None:
        """One probe in a loop, in a thread of its own: a wait lasting as long as its run holds up no other."""
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                started = time.monotonic()
                try:
                    response = client.request(method, path, json=body)
                    status, content = response.status_code, response.content
                except httpx.TransportError as exc:
                    status, content = type(exc).__name__, b""
                now = time.monotonic()
                self.answers.append(Answer(name, status, now - started, now, content))
                self.stop.wait(0.1)

    def __enter__(self) -> "Probes":
        self.threads = [
            threading.Thread(target=self.probe, args=args, name=args[0], daemon=True) for args in self.requests()
        ]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        deadline = time.monotonic() + PROBE_FINISH_S
        for thread in self.threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def unanswered(self) -> list[str]:
        """Probes still waiting for their answer (a wait whose run never ends, say)."""
        return [thread.name for thread in self.threads if thread.is_alive()]


def create_load(url: str) -> list[tuple[str, str]]:
    """LOAD_RUNS background runs, one per thread (runs of different threads go in parallel)."""
    created = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for _ in range(LOAD_RUNS):
            thread = client.post("/threads", json={}).json()
            body = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": RUN_DELAY_S}}}
            run_ = client.post(f"/threads/{thread['thread_id']}/runs", json=body)
            assert run_.status_code == 200, run_.text
            created.append((thread["thread_id"], run_.json()["run_id"]))
    return created


def statuses_of(url: str, runs: list[tuple[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for thread_id, run_id in runs:
            response = client.get(f"/threads/{thread_id}/runs/{run_id}")
            status = response.json()["status"] if response.status_code == 200 else f"HTTP {response.status_code}"
            counts[status] = counts.get(status, 0) + 1
    return counts


def wait_until_all_succeeded(url: str, runs: list[tuple[str, str]]) -> None:
    deadline = time.monotonic() + ALL_RUNS_END_S
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = statuses_of(url, runs)
        if set(counts) - {"pending", "running", "success", "HTTP 503"}:
            break  # something ended otherwise, or an answer was neither a run nor a 503: no use waiting
        if counts.get("success") == len(runs):
            return
        time.sleep(2)
    raise AssertionError(f"runs did not all succeed: {counts}")


def check_outage_answers(answers: list[Answer], outage_ended_at: float) -> None:
    """No 500, no cut connection; every 503 prompt; everything 200 again soon after the outage."""
    assert answers, "the probes sent nothing"
    bad = [a for a in answers if a.status not in (200, 503)]
    assert not bad, [(a.probe, a.status, round(a.seconds, 2), a.body[:200]) for a in bad[:10]]
    # Prompt: a request does not hang through the outage (a wait lasts as long as its run).
    slow = [a for a in answers if a.probe != "wait" and a.seconds > PROMPT_503_S]
    slow += [a for a in answers if a.status == 503 and a.seconds > PROMPT_503_S]
    assert not slow, [(a.probe, a.status, round(a.seconds, 2)) for a in slow[:10]]
    assert any(a.status == 503 for a in answers), "the outage was never noticed: the test did not test it"
    late = [a for a in answers if a.at > outage_ended_at + RECOVERY_S]
    assert late, "no probe ran after the recovery window"
    assert all(a.status == 200 for a in late), [(a.probe, a.status) for a in late if a.status != 200][:10]
    # Waits answer with the run's output again (not a cut stream's __error__).
    assert all(b"__error__" not in a.body for a in late if a.probe == "wait")


class Follower(threading.Thread):
    """A wait or a stream already going when the outage starts: what it got, and whether it was cut."""

    def __init__(self, url: str, path: str) -> None:
        super().__init__(daemon=True)
        self.url, self.path = url, path
        self.status: int | str | None = None
        self.body = b""
        self.answered = threading.Event()  # the response has begun: its run exists and is followed

    def run(self) -> None:
        thread_id = httpx.post(f"{self.url}/threads", json={}).json()["thread_id"]
        # Longer than the outage: the run is still going when Redis goes away.
        body = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": OUTAGE_S + 5}}}
        try:
            with httpx.stream("POST", f"{self.url}/threads/{thread_id}/{self.path}", json=body, timeout=120) as r:
                self.status = r.status_code
                self.answered.set()
                self.body = r.read()
        except httpx.TransportError as exc:
            self.status = type(exc).__name__
        finally:
            self.answered.set()


def run_outage(
    server_url: str, stop: Callable[[], None], start: Callable[[], None], followers: tuple[Follower, ...] = ()
) -> tuple[Probes, float]:
    thread_id = httpx.post(f"{server_url}/threads", json={}).json()["thread_id"]
    runs = create_load(server_url)
    for follower in followers:
        follower.start()
    for follower in followers:  # on a loaded machine a follower could otherwise ask after the outage began
        assert follower.answered.wait(timeout=60), f"{follower.path} got no answer before the outage"
    with Probes(server_url, thread_id) as probes:
        time.sleep(1.0)  # a few runs in flight, most queued
        stop()
        time.sleep(OUTAGE_S)
        start()
        outage_ended_at = time.monotonic()
        wait_until_all_succeeded(server_url, runs)
        # Keep probing until past the recovery window, so the last answers prove the recovery.
        while time.monotonic() < outage_ended_at + RECOVERY_S + 3:
            time.sleep(0.5)
    assert not probes.unanswered(), f"still unanswered after the recovery: {probes.unanswered()}"
    return probes, outage_ended_at


def summary(answers: list[Answer], outage_ended_at: float) -> str:
    unavailable = [a for a in answers if a.status == 503]
    worst = max((a.seconds for a in unavailable), default=0.0)
    not_ok = [a.at - outage_ended_at for a in answers if a.status != 200]
    return (
        f"{len(answers)} probe answers, {len(unavailable)} x 503 (slowest {worst:.2f} s); "
        f"the last answer other than 200 came {max(not_ok, default=0.0):+.1f} s after the server was back"
    )


def test_postgres_outage_under_load_loses_no_run(tmp_path: Path) -> None:
    postgres = EmbeddedPostgres(tmp_path / "pg")
    database_url = postgres.start()
    try:
        with live_server(tmp_path, DATABASE_URL=database_url, **FAST_RECOVERY) as server:
            probes, outage_ended_at = run_outage(server.url, postgres.stop, postgres.start)
            print(summary(probes.answers, outage_ended_at))
            check_outage_answers(probes.answers, outage_ended_at)
    finally:
        postgres.stop()


def test_redis_outage_under_load_loses_no_run_and_waits_recover(tmp_path: Path) -> None:
    redis_server = EmbeddedRedis(tmp_path / "redis")
    redis_url = redis_server.start()
    try:
        with live_server(tmp_path, REDIS_URL=redis_url, **FAST_RECOVERY) as server:
            wait, stream = Follower(server.url, "runs/wait"), Follower(server.url, "runs/stream")
            probes, outage_ended_at = run_outage(server.url, redis_server.stop, redis_server.start, (wait, stream))
            print(summary(probes.answers, outage_ended_at))
            check_outage_answers(probes.answers, outage_ended_at)
            for follower in (wait, stream):
                follower.join(timeout=60)
            # Cut by the outage, they end with upstream's error (and where to reconnect), not a dropped connection.
            assert wait.status == 200, wait.status
            assert b'"__error__":{"error":"ServiceUnavailable"' in wait.body.replace(b" ", b""), wait.body[-300:]
            assert b"/join" in wait.body
            assert stream.status == 200, stream.status
            assert b"event: error\ndata: {" in stream.body and b"ServiceUnavailable" in stream.body, stream.body[-300:]
            assert b"Last-Event-ID" in stream.body
    finally:
        redis_server.stop()
