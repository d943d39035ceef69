"""Upstream's `messages` and `events` stream modes, through the SDK."""

from langgraph_sdk import get_client

from tests.e2e.conftest import run

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


async def stream_parts(url: str, graph: str, modes: list[str], thread: bool = True) -> list:
    client = get_client(url=url)
    thread_id = (await client.threads.create())["thread_id"] if thread else None
    return [part async for part in client.runs.stream(thread_id, graph, input=HELLO, stream_mode=modes)]


def test_messages_mode_streams_partial_messages_with_metadata_first(url: str) -> None:
    async def main() -> None:
        parts = await stream_parts(url, "agent", ["messages", "values"])
        names = [p.event for p in parts]
        assert names[0] == "metadata"
        partials = [p.data[0] for p in parts if p.event == "messages/partial"]
        assert len(partials) >= 2  # token by token
        message_id = partials[0]["id"]
        # The message is announced once, before its first token.
        announced = [p.data for p in parts if p.event == "messages/metadata"]
        assert [list(a) for a in announced] == [[message_id]]
        assert names.index("messages/metadata") < names.index("messages/partial")
        assert announced[0][message_id]["metadata"]["langgraph_node"]
        # Each partial holds the message so far; the last one is the whole reply.
        contents = [p["content"] for p in partials if p["id"] == message_id]
        assert all(later.startswith(earlier) for earlier, later in zip(contents, contents[1:], strict=False))
        assert partials[-1]["type"] == "ai"
        final = [p.data for p in parts if p.event == "values"][-1]
        assert final["messages"][-1]["content"] == contents[-1]

    run(main())


def test_messages_and_messages_tuple_together(url: str) -> None:
    async def main() -> None:
        parts = await stream_parts(url, "agent", ["messages", "messages-tuple"])
        tuples = [p.data for p in parts if p.event == "messages"]
        partials = [p.data[0] for p in parts if p.event == "messages/partial"]
        assert tuples and len(tuples) == len(partials)
        chunk, metadata = tuples[0]
        assert chunk["type"] == "AIMessageChunk" and "langgraph_node" in metadata
        assert "".join(c["content"] for c, _ in tuples) == partials[-1]["content"]

    run(main())


def test_messages_a_node_returns_whole_come_complete(url: str) -> None:
    async def main() -> None:
        parts = await stream_parts(url, "uncompiled", ["messages"], thread=False)
        complete = [p.data for p in parts if p.event == "messages/complete"]
        assert complete and complete[-1][0]["type"] == "ai"
        assert not [p for p in parts if p.event == "messages/partial"]

    run(main())


def test_events_mode_with_values(url: str) -> None:
    async def main() -> None:
        parts = await stream_parts(url, "agent", ["events", "values"])
        events = [p.data for p in parts if p.event == "events"]
        kinds = [e["event"] for e in events]
        assert kinds[0] == "on_chain_start" and kinds[-1] == "on_chain_end"
        assert "on_chat_model_stream" in kinds
        tokens = "".join(e["data"]["chunk"]["content"] for e in events if e["event"] == "on_chat_model_stream")
        values = [p.data for p in parts if p.event == "values"]
        assert values and values[-1]["messages"][-1]["content"] == tokens
        assert events[-1]["data"]["output"]["messages"][-1]["content"] == tokens

    run(main())


def test_join_stream_filters_by_mode(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread_id = (await client.threads.create())["thread_id"]
        created = await client.runs.create(
            thread_id, "agent", input=HELLO, stream_mode=["messages", "messages-tuple", "values"]
        )
        await client.runs.join(thread_id, created["run_id"])
        only_messages = [
            p.event async for p in client.runs.join_stream(thread_id, created["run_id"], stream_mode="messages")
        ]
        assert set(only_messages) == {"metadata", "messages/metadata", "messages/partial"}
        only_tuples = [
            p.event async for p in client.runs.join_stream(thread_id, created["run_id"], stream_mode="messages-tuple")
        ]
        assert set(only_tuples) == {"metadata", "messages"}

    run(main())


def test_subgraphs_endpoint_and_subgraph_streaming(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        nested = (await client.assistants.search(graph_id="nested"))[0]["assistant_id"]
        subgraphs = await client.assistants.get_subgraphs(nested)
        assert list(subgraphs) == ["inner"]
        assert "steps" in subgraphs["inner"]["input_schema"]["properties"]
        assert list(await client.assistants.get_subgraphs(nested, namespace="inner")) == ["inner"]
        assert await client.assistants.get_subgraphs(nested, namespace="nope") == {}
        slow = (await client.assistants.search(graph_id="slow"))[0]["assistant_id"]
        assert await client.assistants.get_subgraphs(slow, recurse=True) == {}

        thread_id = (await client.threads.create())["thread_id"]
        parts = [
            p
            async for p in client.runs.stream(
                thread_id, "nested", input={"steps": []}, stream_mode=["updates"], stream_subgraphs=True
            )
        ]
        names = [p.event for p in parts]
        inner = [p for p in parts if p.event.startswith("updates|inner:")]
        assert inner and inner[0].data == {"inner_step": {"steps": ["inner"]}}
        assert names.index(inner[0].event) < names.index("updates")  # the subgraph's step comes first
        assert (await client.threads.get_state(thread_id))["values"] == {"steps": ["inner", "outer"]}

    run(main())


def test_debug_tasks_and_checkpoints_modes(url: str) -> None:
    async def main() -> None:
        parts = await stream_parts(url, "uncompiled", ["debug", "tasks", "checkpoints"], thread=True)
        by_event: dict[str, list] = {}
        for part in parts:
            by_event.setdefault(part.event, []).append(part.data)
        assert {"debug", "tasks", "checkpoints"} <= set(by_event)
        assert {d["type"] for d in by_event["debug"]} >= {"checkpoint", "task", "task_result"}
        started = [t for t in by_event["tasks"] if "input" in t]
        finished = [t for t in by_event["tasks"] if "result" in t]
        assert [t["name"] for t in started] == [t["name"] for t in finished] == ["greet"]
        assert by_event["checkpoints"][-1]["values"]["messages"][-1]["type"] == "ai"

    run(main())


def test_assistant_and_run_context_and_xray_graph(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        ada = await client.assistants.create("contextual", context={"name": "Ada"})
        schemas = await client.assistants.get_schemas(ada["assistant_id"])
        assert "name" in schemas["context_schema"]["properties"]
        assert ada["context"] == {"name": "Ada"}
        result = await client.runs.wait(None, ada["assistant_id"], input={"steps": []})
        assert result["steps"] == ["I am Ada"]
        overridden = await client.runs.wait(None, ada["assistant_id"], input={"steps": []}, context={"name": "Bob"})
        assert overridden["steps"] == ["I am Bob"]

        nested = (await client.assistants.search(graph_id="nested"))[0]["assistant_id"]
        flat = {node["id"] for node in (await client.assistants.get_graph(nested))["nodes"]}
        deep = {node["id"] for node in (await client.assistants.get_graph(nested, xray=True))["nodes"]}
        assert "inner" in flat and "inner:inner_step" not in flat
        assert "inner:inner_step" in deep

    run(main())
