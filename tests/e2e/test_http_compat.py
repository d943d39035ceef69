"""Smaller differences with upstream's server, checked through the SDK and raw HTTP: graph ids
where an assistant id is read, order_by, keep-alive every 5 s on /runs/wait, the metadata SSE
event's id, Content-Location on runs/stream, pagination headers, a failed run's thread."""

import asyncio
import contextlib
import time
import uuid

import httpx
from langgraph_sdk import get_client

from tests.e2e.conftest import run


def test_assistant_reads_take_a_graph_id(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        assistant = await client.assistants.get("agent")
        assert assistant["assistant_id"] == str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "agent"))
        assert (await client.assistants.get_graph("agent"))["nodes"]
        assert (await client.assistants.get_schemas("agent"))["graph_id"] == "agent"
        assert "inner" in await client.assistants.get_subgraphs("nested")

    run(main())


def test_thread_search_order_by(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        tag = {"order_by_test": str(uuid.uuid4())}
        created = [(await client.threads.create(metadata=tag))["thread_id"] for _ in range(3)]
        async with httpx.AsyncClient(base_url=url) as http:
            for order_by, expected in (("created_at", created), ("-created_at", created[::-1])):
                response = await http.post("/threads/search", json={"metadata": tag, "order_by": order_by})
                assert response.status_code == 200, response.text
                assert [t["thread_id"] for t in response.json()] == expected
            refused = await http.post("/threads/search", json={"order_by": "colour"})
            assert refused.status_code == 422 and "order_by" in refused.json()["detail"]
            paged = await http.post("/threads/search", json={"metadata": tag, "limit": 2})
            assert paged.headers["x-pagination-total"] == "3" and paged.headers["x-pagination-next"] == "2"

    run(main())


def test_runs_wait_sends_a_keepalive_every_5_seconds(url: str) -> None:
    body = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 11}}}
    arrivals = []
    with httpx.Client(timeout=60) as http, http.stream("POST", f"{url}/runs/wait", json=body) as response:
        started = time.monotonic()
        for chunk in response.iter_raw():
            arrivals.append((time.monotonic() - started, chunk))
    keepalives = [at for at, chunk in arrivals if chunk.strip() == b""]
    assert arrivals[-1][1].strip().endswith(b"}")
    assert len(keepalives) == 2, arrivals
    gaps = [b - a for a, b in zip([0.0, *keepalives], keepalives, strict=False)]
    assert all(4.0 <= gap <= 6.5 for gap in gaps), gaps  # 5 s as upstream, not 10


def test_stream_headers_and_the_metadata_event_id(url: str) -> None:
    body = {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0}}}
    with httpx.Client(timeout=30) as http:
        thread_id = http.post(f"{url}/threads", json={}).json()["thread_id"]
        response = http.post(f"{url}/threads/{thread_id}/runs/stream", json=body)
    assert response.headers["content-location"].startswith(f"/threads/{thread_id}/runs/")
    first = response.text.split("\n\n", 1)[0].splitlines()
    assert first[0] == "event: metadata" and first[2].startswith("id: ")


def test_a_failed_runs_thread_looks_like_upstreams(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        assert thread["config"] == {}
        await client.runs.wait(thread["thread_id"], "slow", input={}, config={"configurable": {"delay": 0}})
        await client.runs.wait(thread["thread_id"], "failing", input={}, raise_error=False)
        found = await client.threads.search(metadata={"graph_id": "failing"}, limit=100)
        failed = next(t for t in found if t["thread_id"] == thread["thread_id"])
        assert failed["status"] == "error"
        assert failed["values"] == {"steps": ["slept", "finished"]}
        assert failed["error"] == {"error": "ValueError", "message": "boom"}
        assert failed["config"] == {"configurable": {}}
        history = await client.threads.get_history(thread["thread_id"], limit=1)
        assert history[0]["tasks"][0]["error"] == "ValueError('boom')"
        # A first run that fails still shows the state it reached (its input), not null.
        fresh = await client.threads.create()
        await client.runs.wait(fresh["thread_id"], "failing", input={"steps": ["given"]}, raise_error=False)
        assert (await client.threads.get(fresh["thread_id"]))["values"] == {"steps": ["given"]}

    run(main())


def test_join_cancel_on_disconnect(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        created = await client.runs.create(thread_id, "slow", input={}, config={"configurable": {"delay": 30}})
        join = f"/threads/{thread_id}/runs/{created['run_id']}/join?cancel_on_disconnect=true"
        # The client gives up waiting after 1 s: the server must then cancel the run.
        async with httpx.AsyncClient(base_url=url) as http:
            with contextlib.suppress(httpx.ReadTimeout):
                await http.get(join, timeout=1)
        deadline = time.monotonic() + 20
        while (await client.runs.get(thread_id, created["run_id"]))["status"] != "interrupted":
            assert time.monotonic() < deadline, "the run was not cancelled when its joiner left"
            await asyncio.sleep(0.2)

    run(main())
