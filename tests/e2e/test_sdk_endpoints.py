"""Every core endpoint through the official SDK: assistants, threads, runs, streams."""

import uuid

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from tests.e2e.conftest import run

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def test_health_info_docs_and_schema(url: str) -> None:
    assert httpx.get(f"{url}/ok").json() == {"ok": True}
    assert "version" in httpx.get(f"{url}/info").json()
    assert httpx.get(f"{url}/docs").status_code == 200
    schema = httpx.get(f"{url}/openapi.json").json()
    assert "/threads/{thread_id}/runs/stream" in schema["paths"]


def test_assistants_crud_search_count_versions(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        default = (await client.assistants.search(graph_id="agent"))[0]
        assert default["assistant_id"] == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"

        created = await client.assistants.create(
            "agent", config={"configurable": {"x": 1}}, name="mine", metadata={"team": "a"}
        )
        assert created["version"] == 1
        fetched = await client.assistants.get(created["assistant_id"])
        assert fetched["config"] == {"configurable": {"x": 1}}

        patched = await client.assistants.update(created["assistant_id"], metadata={"stage": "b"})
        assert patched["version"] == 2
        assert patched["metadata"] == {"team": "a", "stage": "b"}
        versions = await client.assistants.get_versions(created["assistant_id"])
        assert [v["version"] for v in versions] == [2, 1]
        rolled_back = await client.assistants.set_latest(created["assistant_id"], 1)
        assert rolled_back["metadata"] == {"team": "a"}

        found = await client.assistants.search(metadata={"team": "a"})
        assert [a["assistant_id"] for a in found] == [created["assistant_id"]]
        assert await client.assistants.count(metadata={"team": "a"}) == 1

        graph = await client.assistants.get_graph(created["assistant_id"])
        assert {node["id"] for node in graph["nodes"]} >= {"search", "respond"}
        schemas = await client.assistants.get_schemas(created["assistant_id"])
        assert schemas["graph_id"] == "agent"
        assert "messages" in schemas["input_schema"]["properties"]

        await client.assistants.delete(created["assistant_id"])
        with pytest.raises(NotFoundError):
            await client.assistants.get(created["assistant_id"])

    run(main())


def test_threads_crud_search_count(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        tag = uuid.uuid4().hex
        thread = await client.threads.create(metadata={"tag": tag})
        assert thread["status"] == "idle"
        with pytest.raises(ConflictError):
            await client.threads.create(thread_id=thread["thread_id"])
        same = await client.threads.create(thread_id=thread["thread_id"], if_exists="do_nothing")
        assert same["thread_id"] == thread["thread_id"]

        updated = await client.threads.update(thread["thread_id"], metadata={"more": 1})
        assert updated["metadata"] == {"tag": tag, "more": 1}
        found = await client.threads.search(metadata={"tag": tag})
        assert [t["thread_id"] for t in found] == [thread["thread_id"]]
        assert await client.threads.count(metadata={"tag": tag}) == 1

        fresh_state = await client.threads.get_state(thread["thread_id"])
        assert fresh_state["values"] == {} and fresh_state["next"] == [] and fresh_state["checkpoint"] is None
        assert await client.threads.get_history(thread["thread_id"]) == []

        await client.threads.delete(thread["thread_id"])
        with pytest.raises(NotFoundError):
            await client.threads.get(thread["thread_id"])

    run(main())


def test_state_and_history_after_runs(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        await client.runs.wait(thread["thread_id"], assistant_id="agent", input=HELLO)
        await client.runs.wait(thread["thread_id"], assistant_id="agent", input=HELLO)
        state = await client.threads.get_state(thread["thread_id"])
        assert len(state["values"]["messages"]) == 4
        assert state["checkpoint"]["thread_id"] == thread["thread_id"]
        history = await client.threads.get_history(thread["thread_id"], limit=3)
        assert len(history) == 3
        assert history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
        got = await client.threads.get(thread["thread_id"])
        assert got["status"] == "idle"
        assert got["values"] == state["values"]
        assert got["metadata"]["graph_id"] == "agent"

    run(main())


def test_background_run_get_list_join_join_stream_delete(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        created = await client.runs.create(thread["thread_id"], "agent", input=HELLO, stream_mode=["values", "updates"])
        assert created["status"] in ("pending", "running", "success")
        joined = await client.runs.join(thread["thread_id"], created["run_id"])
        assert joined["messages"][-1]["content"] == "You said: hello"

        got = await client.runs.get(thread["thread_id"], created["run_id"])
        assert got["status"] == "success"
        listed = await client.runs.list(thread["thread_id"])
        assert [r["run_id"] for r in listed] == [created["run_id"]]

        # Joining a finished run's stream replays it, ending with its events.
        parts = [p async for p in client.runs.join_stream(thread["thread_id"], created["run_id"])]
        assert parts[0].event == "metadata"
        assert [p.event for p in parts[1:]] == ["values", "updates", "values"]
        only_updates = [
            p.event
            async for p in client.runs.join_stream(thread["thread_id"], created["run_id"], stream_mode="updates")
        ]
        assert only_updates == ["metadata", "updates"]

        await client.runs.delete(thread["thread_id"], created["run_id"])
        with pytest.raises(NotFoundError):
            await client.runs.get(thread["thread_id"], created["run_id"])

    run(main())


def test_stream_modes_and_resume_from_last_event_id(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        parts = [
            p
            async for p in client.runs.stream(
                thread["thread_id"], "agent", input=HELLO, stream_mode=["values", "updates", "messages-tuple", "custom"]
            )
        ]
        events = [p.event for p in parts]
        assert events[0] == "metadata"
        assert {"values", "updates", "messages"} <= set(events)
        tokens = "".join(p.data[0]["content"] for p in parts if p.event == "messages")
        assert tokens == "You said: hello"
        run_id = parts[0].data["run_id"]

        # Resume after the second event: exactly the rest comes back.
        after = parts[2].id
        resumed = [p async for p in client.runs.join_stream(thread["thread_id"], run_id, last_event_id=after)]
        assert [p.id for p in resumed[1:]] == [p.id for p in parts[3:]]

        custom = [
            p
            async for p in client.runs.stream(
                thread["thread_id"],
                "agent",
                input={"messages": [{"role": "user", "content": "search"}]},
                stream_mode="custom",
            )
        ]
        assert [p.data for p in custom if p.event == "custom"] == [{"progress": "searching"}]

    run(main())


def test_failing_run_reports_error_everywhere(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        parts = [p async for p in client.runs.stream(thread["thread_id"], "failing", input={})]
        assert parts[-1].event == "error"
        assert parts[-1].data == {"error": "ValueError", "message": "boom"}
        waited = await client.runs.wait(thread["thread_id"], "failing", input={}, raise_error=False)
        assert waited == {"__error__": {"error": "ValueError", "message": "boom"}}
        runs = await client.runs.list(thread["thread_id"])
        assert {r["status"] for r in runs} == {"error"}
        assert (await client.threads.get(thread["thread_id"]))["status"] == "error"

    run(main())


def test_stateless_runs_and_if_not_exists(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        values = await client.runs.wait(None, "agent", input=HELLO)
        assert values["messages"][-1]["content"] == "You said: hello"
        events = [p.event async for p in client.runs.stream(None, "agent", input=HELLO)]
        assert events == ["metadata", "values", "values"]

        new_id = str(uuid.uuid4())
        with pytest.raises(httpx.HTTPStatusError) as missing:
            await client.runs.wait(new_id, "agent", input=HELLO)
        assert missing.value.response.status_code == 404
        values = await client.runs.wait(new_id, "agent", input=HELLO, if_not_exists="create")
        assert values["messages"][-1]["type"] == "ai"
        assert (await client.threads.get(new_id))["status"] == "idle"

    run(main())


def test_interrupted_thread_and_resume_command(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        first = await client.runs.wait(thread["thread_id"], "asking", input={})
        assert first["__interrupt__"][0]["value"] == {"question": "approve?"}
        got = await client.threads.get(thread["thread_id"])
        assert got["status"] == "interrupted"
        state = await client.threads.get_state(thread["thread_id"])
        assert state["next"] == ["ask_human"]
        resumed = await client.runs.wait(thread["thread_id"], "asking", command={"resume": "yes"})
        assert resumed == {"answer": "yes", "steps": ["asked"]}
        assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"

    run(main())


def test_validation_errors_reach_the_sdk_as_422(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        with pytest.raises(UnprocessableEntityError):
            await client.runs.create(thread["thread_id"], "agent", input=HELLO, multitask_strategy="sometimes")
        with pytest.raises(UnprocessableEntityError):
            await client.runs.create(thread["thread_id"], "no-such-graph", input=HELLO)
        with pytest.raises(NotFoundError):
            await client.runs.create(thread["thread_id"], str(uuid.uuid4()), input=HELLO)

    run(main())
