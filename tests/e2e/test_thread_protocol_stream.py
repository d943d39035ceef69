"""client.threads.stream() (the SDK's thread-centric protocol: /threads/{id}/commands and
/threads/{id}/stream/events) through the official Python SDK.

The expected sequences were recorded from upstream's `langgraph dev` (langgraph-api 0.16.7)
on the same graphs.
"""

import asyncio
import os
import uuid

import redis
from langgraph_sdk import get_client, get_sync_client
from langgraph_sdk.stream.transport import ProtocolSseTransport

from tests.e2e.conftest import run

HELLO = {"messages": [{"role": "user", "content": "hi"}]}
ROOT_TERMINAL = {"completed", "failed", "interrupted"}
# What upstream sends for the example agent answering "hi" (a model streaming three tokens).
AGENT_EVENTS = [
    ("lifecycle", "running"),
    ("values", None),
    ("messages", "message-start"),
    ("messages", "content-block-start"),
    ("messages", "content-block-delta"),
    ("messages", "content-block-delta"),
    ("messages", "content-block-delta"),
    ("messages", "content-block-finish"),
    ("messages", "message-finish"),
    ("values", None),
    ("lifecycle", "completed"),
]


def summary(events: list[dict]) -> list[tuple[str, str | None]]:
    return [
        (e["method"], e["params"]["data"].get("event") if e["method"] in ("lifecycle", "messages") else None)
        for e in events
    ]


def is_root_terminal(event: dict) -> bool:
    data = event["params"]["data"]
    return event["method"] == "lifecycle" and not event["params"]["namespace"] and data["event"] in ROOT_TERMINAL


async def until_root_terminal(events, timeout_s: float = 30.0) -> list[dict]:
    collected: list[dict] = []

    async def read() -> None:
        async for event in events:
            collected.append(event)
            if is_root_terminal(event):
                return

    await asyncio.wait_for(read(), timeout_s)
    return collected


async def read_run(client, thread_id: str, params: dict) -> list[dict]:
    """Events of a stream opened with the SDK's transport, up to the first root terminal event."""
    transport = ProtocolSseTransport(client=client.http.client, thread_id=thread_id)
    try:
        stream = transport.open_event_stream(params)
        await stream.ready
        return await until_root_terminal(stream.events)
    finally:
        await transport.close()


def test_run_start_streams_upstreams_events_in_order(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="agent") as thread:
            started = await thread.run.start(input=HELLO)
            events = await until_root_terminal(thread.subscribe(["lifecycle", "values", "messages"]))
            output = await asyncio.wait_for(thread.output, 30)
        assert uuid.UUID(started["run_id"])
        assert summary(events) == AGENT_EVENTS
        assert [e["seq"] for e in events] == list(range(1, 12))
        for event in events:
            assert set(event) == {"type", "event_id", "seq", "method", "params"} and event["type"] == "event"
            assert set(event["params"]) == {"namespace", "timestamp", "data"} and event["params"]["namespace"] == []
        assert events[0]["params"]["data"] == {"event": "running", "graph_name": "agent"}
        assert events[0]["event_id"] == f"synth:{started['run_id']}:lc||running"
        deltas = "".join(e["params"]["data"]["delta"]["text"] for e in events if e["params"]["data"].get("delta"))
        assert deltas == "You said: hi"
        assert events[7]["params"]["data"] == {
            "event": "content-block-finish",
            "index": 0,
            "content": {"type": "text", "text": "You said: hi"},
        }
        assert events[2]["params"]["data"]["id"] == output["messages"][-1]["id"]
        assert output["messages"][-1]["content"] == "You said: hi"

    run(main())


def test_reconnect_with_since_replays_only_later_events(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="agent") as thread:
            await thread.run.start(input=HELLO)
            first = await until_root_terminal(thread.subscribe(["lifecycle", "values", "messages"]))
            await thread.run.start(input={"messages": [{"role": "user", "content": "again"}]})
            second = await until_root_terminal(thread.subscribe(["lifecycle", "values"]))
            thread_id = thread.thread_id
        assert [e["seq"] for e in first] == list(range(1, 12))
        # The thread's second run continues the numbering.
        assert [(e["seq"], *summary([e])[0]) for e in second] == [
            (12, "lifecycle", "running"),
            (13, "values", None),
            (21, "values", None),
            (22, "lifecycle", "completed"),
        ]

        # Read up to the first run's end (seq 11).
        replayed = await read_run(client, thread_id, {"channels": ["lifecycle", "values", "messages"], "since": 5})
        assert [e["seq"] for e in replayed] == list(range(6, 12))
        assert replayed == first[5:]  # the same events, ids and timestamps as the first time

    run(main())


def test_filters_by_channel_and_namespace(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="nested") as thread:
            await thread.run.start(input={"steps": ["a"]})
            events = await until_root_terminal(thread.subscribe(["lifecycle", "values"]))
            thread_id = thread.thread_id
        namespaces = [e["params"]["namespace"] for e in events]
        inner = next(ns for ns in namespaces if ns)
        assert inner[0].startswith("inner:")
        assert [(ns == inner, *summary([e])[0]) for ns, e in zip(namespaces, events, strict=True)] == [
            (False, "lifecycle", "running"),
            (False, "values", None),
            (True, "values", None),
            (True, "lifecycle", "started"),
            (True, "values", None),
            (True, "lifecycle", "completed"),
            (False, "values", None),
            (False, "values", None),
            (False, "lifecycle", "completed"),
        ]
        started = events[3]["params"]["data"]
        assert started == {
            "event": "started",
            "namespace": inner,
            "graph_name": "inner",
            "trigger_call_id": inner[0].split(":", 1)[1],
        }

        got = await read_run(client, thread_id, {"channels": ["lifecycle"], "namespaces": [[]], "depth": 0})
        assert summary(got) == [("lifecycle", "running"), ("lifecycle", "completed")]
        assert [e["seq"] for e in got] == [1, 9]  # seq counts every event, sent or not

    run(main())


def test_interrupt_is_requested_and_answered(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="asking") as thread:
            await thread.run.start(input={"steps": ["a"]})
            events = await read_run(client, thread.thread_id, {"channels": ["lifecycle", "input"]})
            requested = events[1]
            assert summary(events) == [
                ("lifecycle", "running"),
                ("input.requested", None),
                ("lifecycle", "interrupted"),
            ]
            assert requested["params"]["data"]["payload"] == {"question": "approve?"}
            interrupt_id = requested["params"]["data"]["interrupt_id"]
            assert requested["event_id"].endswith(f":input||{interrupt_id}")
            await asyncio.wait_for(wait_until(lambda: thread.interrupted), 10)
            assert thread.interrupts[0]["interrupt_id"] == interrupt_id
            await thread.run.respond("yes")
            await asyncio.wait_for(thread.output, 30)
            state = await client.threads.get_state(thread.thread_id)
        assert state["values"] == {"steps": ["a", "asked"], "answer": "yes"}

    run(main())


async def wait_until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.05)


def test_cancel_ends_the_run_with_the_terminal_lifecycle_event(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="slow") as thread:
            started = await thread.run.start(input={"steps": ["a"]}, config={"configurable": {"delay": 30}})
            events = []

            async def cancel_once_running() -> None:
                async for event in thread.subscribe(["lifecycle", "values"]):
                    events.append(event)
                    if event["method"] == "values":
                        await client.runs.cancel(thread.thread_id, started["run_id"])
                    if is_root_terminal(event):
                        return

            await asyncio.wait_for(cancel_once_running(), 20)  # far less than the node's 30 s
            run_row = await client.runs.get(thread.thread_id, started["run_id"])
        assert summary(events) == [("lifecycle", "running"), ("values", None), ("lifecycle", "interrupted")]
        assert events[-1]["params"]["data"] == {"event": "interrupted", "graph_name": "slow"}
        assert run_row["status"] == "interrupted"

    run(main())


def test_command_errors_are_protocol_envelopes(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = str(uuid.uuid4())
        transport = ProtocolSseTransport(client=client.http.client, thread_id=thread_id)
        unknown = await transport.send_command({"id": 1, "method": "state.fork", "params": {}})
        missing = await transport.send_command({"id": 2, "method": "run.start", "params": {"input": {}}})
        bad_graph = await transport.send_command({"id": 3, "method": "run.start", "params": {"assistant_id": "nope"}})
        no_interrupt = await transport.send_command(
            {"id": 4, "method": "input.respond", "params": {"namespace": [], "interrupt_id": "x", "response": 1}}
        )
        await transport.close()
        assert unknown == {
            "type": "error",
            "id": 1,
            "error": "unknown_command",
            "message": "Unknown protocol command: state.fork",
        }
        assert missing == {
            "type": "error",
            "id": 2,
            "error": "invalid_argument",
            "message": "run.start requires an assistant_id.",
        }
        assert bad_graph["error"] == "unknown_error" and bad_graph["message"].startswith(
            "422: Invalid assistant: 'nope'"
        )
        assert no_interrupt["error"] == "no_such_interrupt"

        envelope = await client.http.client.post(f"/threads/{thread_id}/commands", json={"method": "run.start"})
        bad_channel = await client.http.client.post(f"/threads/{thread_id}/stream/events", json={"channels": ["bogus"]})
        assert envelope.status_code == 400 and envelope.json()["error"] == "invalid_argument"
        assert bad_channel.status_code == 400 and "bogus" in bad_channel.json()["detail"]

    run(main())


def test_a_run_cancelled_before_it_started_ends_on_the_stream_too(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="slow") as thread:
            slow = {"configurable": {"delay": 1}}
            first = await thread.run.start(input={"steps": ["a"]}, config=slow)
            transport = ProtocolSseTransport(client=client.http.client, thread_id=thread.thread_id)
            stream = transport.open_event_stream({"channels": ["lifecycle"]})
            await stream.ready
            first_events = [await asyncio.wait_for(anext(stream.events), 10)]  # the first run is running
            queued = await thread.run.start(input={"steps": ["b"]}, config=slow)  # enqueued behind it
            await client.runs.cancel(thread.thread_id, queued["run_id"])
            first_events += await until_root_terminal(stream.events)
            queued_events = await until_root_terminal(stream.events)
            await transport.close()
        assert [e["event_id"] for e in first_events] == [
            f"synth:{first['run_id']}:lc||running",
            f"synth:{first['run_id']}:lc||completed",
        ]
        # It never ran: no `running`, only its end.
        assert [e["event_id"] for e in queued_events] == [f"synth:{queued['run_id']}:lc||interrupted"]

    run(main())


def test_listed_in_our_openapi_schema(url: str) -> None:
    paths = get_sync_client(url=url).http.get("/openapi.json")["paths"]
    assert paths["/threads/{thread_id}/commands"]["post"]["summary"] == "Protocol v2 Command"
    assert paths["/threads/{thread_id}/stream/events"]["post"]["summary"] == "Protocol v2 Event Stream (SSE)"


def test_a_run_whose_events_expired_replays_at_once_from_its_recorded_end(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        async with client.threads.stream(assistant_id="agent") as thread:
            started = await thread.run.start(input=HELLO)
            await asyncio.wait_for(thread.output, 30)
            thread_id = thread.thread_id
        # What RUN_STREAM_TTL_S does to an old run: its events go, the thread still lists it.
        redis.Redis.from_url(os.environ["REDIS_URL"]).delete(f"run:{started['run_id']}:events")
        transport = ProtocolSseTransport(client=client.http.client, thread_id=thread_id)
        stream = transport.open_event_stream({"channels": ["lifecycle"]})
        await stream.ready
        # Well within one heartbeat (10 s): no blocking read on a stream that is gone.
        events = await until_root_terminal(stream.events, timeout_s=5)
        await transport.close()
        assert [e["params"]["data"]["event"] for e in events] == ["running", "completed"]

    run(main())
