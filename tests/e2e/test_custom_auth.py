"""Custom auth from langgraph.json (a langgraph_sdk.Auth): users only see and touch their own resources."""

import asyncio
import json
import uuid
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import AuthenticationError, NotFoundError, PermissionDeniedError

from tests.conftest import FIXTURE_APP
from tests.e2e.conftest import LiveServer, live_server, preflight, run

AUTH_CONFIG = FIXTURE_APP / "langgraph-auth.json"
HELLO = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> LiveServer:
    with live_server(tmp_path_factory.mktemp("auth"), config=AUTH_CONFIG) as started:
        yield started


def as_user(server: LiveServer, token: str):  # noqa: ANN201
    return get_client(url=server.url, headers={"Authorization": f"Bearer {token}"})


def test_requests_without_a_valid_token_are_401(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/ok").status_code == 200
    missing = httpx.post(f"{server.url}/threads", json={})
    assert missing.status_code == 401
    assert missing.json() == {"detail": "Unknown or missing bearer token"}

    async def bad_token() -> None:
        await as_user(server, "token-mallory").threads.create()

    with pytest.raises(AuthenticationError):
        run(bad_token())


def test_users_see_and_touch_only_their_own_threads_runs_and_crons(server: LiveServer) -> None:
    async def scenario() -> None:
        alice, bob = as_user(server, "token-alice"), as_user(server, "token-bob")
        thread = await alice.threads.create(metadata={"topic": "secret"})
        assert thread["metadata"]["owner"] == "alice"
        values = await alice.runs.wait(thread["thread_id"], "agent", input=HELLO)
        assert values["messages"][-1]["content"] == "You said: hello"

        with pytest.raises(NotFoundError):
            await bob.threads.get(thread["thread_id"])
        with pytest.raises(NotFoundError):
            await bob.threads.update(thread["thread_id"], metadata={"owner": "bob"})
        with pytest.raises(NotFoundError):
            await bob.runs.create(thread["thread_id"], "agent", input=HELLO)
        with pytest.raises(NotFoundError):
            await bob.runs.list(thread["thread_id"])
        with pytest.raises(NotFoundError):
            await bob.crons.create_for_thread(thread["thread_id"], "agent", schedule="0 8 * * *", input=HELLO)
        with pytest.raises(NotFoundError):
            await bob.threads.delete(thread["thread_id"])
        assert thread["thread_id"] not in [t["thread_id"] for t in await bob.threads.search(limit=100)]
        assert thread["thread_id"] in [t["thread_id"] for t in await alice.threads.search(limit=100)]

        cron = await alice.crons.create(assistant_id="agent", schedule="0 8 * * *", input=HELLO)
        assert cron["cron_id"] not in [c["cron_id"] for c in await bob.crons.search()]
        with pytest.raises(NotFoundError):
            await bob.crons.delete(cron["cron_id"])
        await alice.crons.delete(cron["cron_id"])

        await alice.runs.wait(None, "agent", input=HELLO, on_completion="keep", metadata={"job": "nightly"})
        mine = await alice.http.post("/runs/search", json={"metadata": {"job": "nightly"}})
        theirs = await bob.http.post("/runs/search", json={"metadata": {"job": "nightly"}})
        assert len(mine) == 1 and theirs == []

        # Still alice's, untouched by bob's attempts.
        metadata = (await alice.threads.get(thread["thread_id"]))["metadata"]
        assert metadata["owner"] == "alice" and metadata["topic"] == "secret"

    run(scenario())


def test_assistants_are_shared(server: LiveServer) -> None:
    async def both_see_defaults() -> tuple[int, int]:
        alice, bob = as_user(server, "token-alice"), as_user(server, "token-bob")
        return len(await alice.assistants.search(graph_id="agent")), len(await bob.assistants.search(graph_id="agent"))

    assert run(both_see_defaults()) == (1, 1)


def test_auth_config_path_is_reported_when_broken(tmp_path: Path) -> None:
    from apps.graphs.config import GraphConfigError, load_config
    from apps.graphs.registry import GraphRegistry

    (tmp_path / "graph.py").write_text("from langgraph.graph import StateGraph\nnot_auth = 1\n")
    config = tmp_path / "langgraph.json"
    graphs = {"g": f"{AUTH_CONFIG.parent / 'graphs.py'}:slow"}
    config.write_text(json.dumps({"graphs": graphs, "auth": {"path": "./graph.py:not_auth"}}))
    with pytest.raises(GraphConfigError, match="expected a langgraph_sdk.Auth"):
        GraphRegistry(load_config(config))


def test_store_handlers_scope_namespaces_and_deny(server: LiveServer) -> None:
    async def scenario() -> None:
        alice, bob = as_user(server, "token-alice"), as_user(server, "token-bob")
        await alice.store.put_item(["notes"], "n1", {"text": "alice's secret", "owner": "alice"})
        await alice.store.put_item(["notes"], "n2", {"text": "stamped as bob's", "owner": "bob"})

        mine = await alice.store.get_item(["notes"], "n1")
        assert mine["namespace"] == ["alice", "notes"]  # the handler prefixed it
        assert await bob.store.get_item(["notes"], "n1") is None
        assert await bob.store.get_item(["alice", "notes"], "n1") is None  # lands in ["bob", "alice", "notes"]
        assert (await bob.store.search_items(["notes"]))["items"] == []
        found = (await alice.store.search_items(["notes"]))["items"]
        assert sorted(item["key"] for item in found) == ["n1", "n2"]
        # The handler's returned filter is combined with the request's.
        scoped = (await alice.store.search_items(["notes"], filter={"scope": "mine-only"}))["items"]
        assert [item["key"] for item in scoped] == ["n1"]

        assert ["alice", "notes"] in (await alice.store.list_namespaces())["namespaces"]
        assert (await bob.store.list_namespaces())["namespaces"] == []

        await bob.store.delete_item(["notes"], "n1")  # deletes bob's (absent) item, not alice's
        assert await alice.store.get_item(["notes"], "n1") is not None

        with pytest.raises(PermissionDeniedError):
            await alice.store.put_item(["announcements"], "a1", {"text": "hi"})
        assert await bob.store.get_item(["announcements"], "a1") is None

    run(scenario())


def test_if_not_exists_never_reaches_another_users_thread(server: LiveServer) -> None:
    """The SDK's runs on someone else's thread id, even with if_not_exists="create", are 404 and run nothing."""

    async def scenario() -> None:
        alice, bob = as_user(server, "token-alice"), as_user(server, "token-bob")
        bobs = await bob.threads.create(metadata={"topic": "bob's"})
        await bob.runs.wait(bobs["thread_id"], "agent", input={"messages": [{"role": "user", "content": "mine"}]})
        before = await bob.threads.get_state(bobs["thread_id"])

        async def drain(stream) -> None:  # noqa: ANN001
            async for _ in stream:
                pass

        theirs = bobs["thread_id"]
        for attempt in (
            alice.runs.wait(theirs, "agent", input=HELLO, if_not_exists="create"),
            alice.runs.create(theirs, "agent", input=HELLO, if_not_exists="create", multitask_strategy="rollback"),
            drain(alice.runs.stream(theirs, "agent", input=HELLO, if_not_exists="create")),
            alice.threads.copy(theirs),
            alice.threads.update_state(theirs, HELLO, as_node="respond"),
        ):
            # The SDK raises NotFoundError, or httpx's error for its streamed requests.
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await attempt
            assert refused.value.response.status_code == 404
        assert await bob.runs.list(bobs["thread_id"]) and len(await bob.runs.list(bobs["thread_id"])) == 1
        assert (await bob.threads.get_state(bobs["thread_id"]))["values"] == before["values"]

        # What if_not_exists creates is its creator's.
        new_id = str(uuid.uuid4())
        created = await alice.runs.wait(new_id, "agent", input=HELLO, if_not_exists="create")
        assert created["messages"][-1]["content"] == "You said: hello"
        mine = await alice.threads.get(new_id)
        assert mine["metadata"]["owner"] == "alice"
        # And the owner's state update (no metadata in its body) is not refused.
        await alice.threads.update_state(new_id, {"messages": [{"role": "user", "content": "more"}]}, as_node="respond")

    run(scenario())


def test_a_graph_factory_gets_the_user_who_created_the_run(server: LiveServer) -> None:
    async def main() -> None:
        output = await as_user(server, "token-alice").runs.wait(None, "factory_runtime", input={})
        assert "user=alice" in output["steps"]

    run(main())


def test_thread_streams_are_their_owners(server: LiveServer) -> None:
    """client.threads.stream(): the thread run.start creates is its user's; nobody else reads its events."""

    async def main() -> None:
        alice = as_user(server, "token-alice")
        async with alice.threads.stream(assistant_id="agent") as thread:
            await thread.run.start(input=HELLO)
            output = await asyncio.wait_for(thread.output, 30)
            thread_id = thread.thread_id
        assert output["messages"][-1]["content"] == "You said: hello"
        assert (await alice.threads.get(thread_id))["metadata"]["owner"] == "alice"

        bob = as_user(server, "token-bob")
        body = {"channels": ["lifecycle"]}
        events = await bob.http.client.post(f"/threads/{thread_id}/stream/events", json=body)
        assert events.status_code == 404
        command = {"id": 1, "method": "run.start", "params": {"assistant_id": "agent", "input": HELLO}}
        started = (await bob.http.client.post(f"/threads/{thread_id}/commands", json=command)).json()
        assert started["type"] == "error" and started["message"].startswith("404")
        assert len(await alice.runs.list(thread_id)) == 1

    run(main())


def test_cors_preflights_need_no_credentials(server: LiveServer) -> None:
    # Browsers send preflights without the Authorization header: they must not meet the 401.
    asked = preflight(f"{server.url}/threads", "POST", "authorization,content-type")
    assert asked.status_code == 200
    assert asked.headers["access-control-allow-origin"] == "*"
    assert asked.headers["access-control-allow-headers"] == "authorization,content-type"


def test_a2a_contexts_are_their_owners(server: LiveServer) -> None:
    async def main() -> None:
        alice, bob = as_user(server, "token-alice"), as_user(server, "token-bob")
        agent = (await alice.assistants.search(graph_id="agent"))[0]["assistant_id"]
        message = {"role": "user", "parts": [{"kind": "text", "text": "hi"}], "messageId": "m1"}
        send = {"jsonrpc": "2.0", "id": "1", "method": "message/send", "params": {"message": message}}
        task = (await alice.http.client.post(f"/a2a/{agent}", json=send)).json()["result"]
        assert task["status"]["state"] == "completed"
        assert (await alice.threads.get(task["contextId"]))["metadata"]["owner"] == "alice"

        intruding = {**send, "params": {"message": {**message, "contextId": task["contextId"]}}}
        refused = (await bob.http.client.post(f"/a2a/{agent}", json=intruding)).json()
        assert refused["error"]["code"] == -32602 and "not found" in refused["error"]["message"]
        get = {"jsonrpc": "2.0", "id": "2", "method": "tasks/get", "params": {"id": task["id"]}}
        assert (await bob.http.client.post(f"/a2a/{agent}", json=get)).json()["error"]["code"] == -32001
        assert len(await alice.runs.list(task["contextId"])) == 1

    run(main())


def test_the_authenticate_handler_gets_upstreams_request(server: LiveServer) -> None:
    body = b'{"metadata": {"x": 1}}'
    headers = {"Authorization": "Bearer token-where", "Content-Type": "application/json"}
    created = httpx.post(f"{server.url}/threads", content=body, headers=headers)
    assert created.status_code == 200, created.text
    metadata = created.json()["metadata"]
    assert metadata["owner"] == f"where:POST /threads {len(body)}" and metadata["x"] == 1  # the view read it too
