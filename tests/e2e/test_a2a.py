"""A2A at /a2a/{assistant_id}: JSON-RPC 2.0 (message/send, message/stream, tasks/get, tasks/cancel)
and the agent card, as upstream's `langgraph dev` answers them (langgraph-api 0.16.7, same graphs).

Requests go through the official SDK's HTTP client (it has no A2A methods of its own).
"""

import json
import uuid

import httpx
from langgraph_sdk import get_sync_client

JSON = {"Accept": "application/json"}
SSE = {"Accept": "text/event-stream"}


def assistant_id(url: str, graph_id: str) -> str:
    return get_sync_client(url=url).assistants.search(graph_id=graph_id)[0]["assistant_id"]


def rpc(url: str, assistant: str, method: str, params: dict, request_id: str = "1") -> dict:
    message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    response = httpx.post(f"{url}/a2a/{assistant}", json=message, headers=JSON, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def user_message(text: str | None = None, data: dict | None = None, **fields: str) -> dict:
    parts = ([{"kind": "text", "text": text}] if text is not None else []) + (
        [{"kind": "data", "data": data}] if data is not None else []
    )
    return {"role": "user", "parts": parts, "messageId": fields.pop("messageId", str(uuid.uuid4())), **fields}


def sse_results(response: httpx.Response) -> list[dict]:
    frames = [frame for frame in response.text.split("\n\n") if frame.startswith("event: message")]
    return [json.loads(frame.split("data: ", 1)[1])["result"] for frame in frames]


def test_agent_card(url: str) -> None:
    agent = assistant_id(url, "agent")
    card = httpx.get(f"{url}/.well-known/agent-card.json", params={"assistant_id": agent}).json()
    assert card["name"] == "agent" and card["description"] == "agent assistant"
    assert card["url"] == f"{url}/a2a/{agent}"
    assert card["supportedInterfaces"] == [{"url": card["url"], "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}]
    assert card["capabilities"]["streaming"] is True and card["capabilities"]["pushNotifications"] is False
    skill = card["skills"][0]
    assert skill["id"] == f"{agent}-main" and skill["name"] == "agent Capabilities"
    assert skill["metadata"]["inputSchema"] == {
        "required": ["messages"],
        "properties": ["messages"],
        "supportsA2A": True,
    }
    slow = httpx.get(f"{url}/.well-known/agent-card.json", params={"assistant_id": assistant_id(url, "slow")}).json()
    assert slow["skills"][0]["metadata"]["inputSchema"]["supportsA2A"] is False

    missing = httpx.get(f"{url}/.well-known/agent-card.json")
    assert missing.status_code == 400
    assert missing.json() == {"error": {"code": -32602, "message": "Missing required query parameter: assistant_id"}}
    unknown = httpx.get(f"{url}/.well-known/agent-card.json", params={"assistant_id": str(uuid.UUID(int=0))})
    assert unknown.status_code == 400 and "not found" in unknown.json()["error"]["message"]


def test_message_send_get_and_a_second_turn(url: str) -> None:
    agent = assistant_id(url, "agent")
    sent = rpc(url, agent, "message/send", {"message": user_message("hello a2a", messageId="m1")})
    task = sent["result"]
    assert sent["id"] == "1" and task["kind"] == "task"
    context_id, run_id = task["id"].split(":")
    assert task["contextId"] == context_id
    assert task["status"]["state"] == "completed"
    assert [(m["role"], m["parts"], m["taskId"]) for m in task["history"]] == [
        ("user", [{"kind": "text", "text": "hello a2a"}], task["id"]),
        ("agent", [{"kind": "text", "text": "You said: hello a2a"}], task["id"]),
    ]
    assert task["history"][0]["messageId"] == "m1"
    assert task["artifacts"][0]["name"] == "Assistant Response"
    assert task["artifacts"][0]["parts"] == [{"kind": "text", "text": "You said: hello a2a"}]
    # The context is a thread; the task one run on it.
    client = get_sync_client(url=url)
    assert client.runs.get(context_id, run_id)["status"] == "success"

    got = rpc(url, agent, "tasks/get", {"id": task["id"], "contextId": context_id})["result"]
    assert got["id"] == task["id"] and got["history"] == task["history"]
    assert got["status"]["state"] == "completed"
    assert got["status"]["message"]["parts"] == [{"kind": "text", "text": "Task completed successfully"}]
    last = rpc(url, agent, "tasks/get", {"id": task["id"], "contextId": context_id, "historyLength": 1})["result"]
    assert last["history"] == task["history"][-1:]

    again = rpc(url, agent, "message/send", {"message": user_message("again", contextId=context_id)})["result"]
    assert again["contextId"] == context_id and again["id"] != task["id"]
    assert [m["parts"][0]["text"] for m in again["history"]] == [
        "hello a2a",
        "You said: hello a2a",
        "again",
        "You said: again",
    ]
    assert [m["taskId"] for m in again["history"]] == [task["id"]] * 2 + [again["id"]] * 2


def test_data_parts_are_merged_into_the_input(url: str) -> None:
    slow = assistant_id(url, "slow")
    task = rpc(url, slow, "message/send", {"message": user_message(data={"steps": ["z"]})})["result"]
    assert task["status"]["state"] == "completed" and task["history"] == []
    assert json.loads(task["artifacts"][0]["parts"][0]["text"]) == {"steps": ["z", "slept", "finished"]}
    text = rpc(url, slow, "message/send", {"message": user_message("hi")})
    assert text["error"]["code"] == -32602 and "must include a 'messages' field" in text["error"]["message"]


def test_message_stream(url: str) -> None:
    agent = assistant_id(url, "agent")
    message = {
        "jsonrpc": "2.0",
        "id": "s1",
        "method": "message/stream",
        "params": {"message": user_message("stream me")},
    }
    response = httpx.post(f"{url}/a2a/{agent}", json=message, headers=SSE, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    results = sse_results(response)
    submitted, *working, artifact, final = results
    assert submitted["kind"] == "task" and submitted["status"]["state"] == "submitted"
    assert submitted["history"][0]["parts"] == [{"kind": "text", "text": "stream me"}]
    # The answer as it streams, token by token (as upstream: the last one twice, the model's closing chunk).
    assert [w["status"]["message"]["parts"][0]["text"] for w in working] == [
        "You",
        "You said:",
        "You said: stream",
        "You said: stream me",
        "You said: stream me",
    ]
    assert all(w["kind"] == "status-update" and w["final"] is False for w in working)
    assert all(w["taskId"] == submitted["id"] and w["status"]["state"] == "working" for w in working)
    assert artifact["kind"] == "artifact-update" and artifact["lastChunk"] is True
    assert artifact["artifact"]["parts"] == [{"kind": "text", "text": "You said: stream me"}]
    assert final == {
        "taskId": submitted["id"],
        "contextId": submitted["contextId"],
        "kind": "status-update",
        "status": {"state": "completed", "timestamp": final["status"]["timestamp"]},
        "final": True,
    }


def test_tasks_cancel(url: str) -> None:
    counted = assistant_id(url, "counted")  # its second step sleeps 3 s
    message = {
        "jsonrpc": "2.0",
        "id": "s2",
        "method": "message/stream",
        "params": {"message": user_message(data={"steps": []})},
    }
    with httpx.stream("POST", f"{url}/a2a/{counted}", json=message, headers=SSE, timeout=60) as response:
        lines = response.iter_lines()
        submitted = json.loads(next(line for line in lines if line.startswith("data: "))[6:])["result"]
        context_id = submitted["contextId"]
        cancelled = rpc(url, counted, "tasks/cancel", {"id": submitted["id"], "contextId": context_id})["result"]
        rest = [json.loads(line[6:])["result"] for line in lines if line.startswith("data: ")]
    assert cancelled["id"] == submitted["id"] and cancelled["status"]["state"] == "canceled"
    assert rest[-1]["final"] is True and rest[-1]["status"]["state"] == "canceled"
    assert all(update["kind"] == "status-update" for update in rest)  # no artifact for a cancelled task
    got = rpc(url, counted, "tasks/get", {"id": submitted["id"], "contextId": context_id})["result"]
    assert got["status"]["state"] == "canceled"
    again = rpc(url, counted, "tasks/cancel", {"id": submitted["id"], "contextId": context_id})
    assert again["error"] == {"code": -32002, "message": "Task is not cancelable in its current state"}


def test_errors(url: str) -> None:
    agent = assistant_id(url, "agent")
    assert rpc(url, agent, "foo/bar", {})["error"] == {"code": -32601, "message": "Method not found: foo/bar"}
    nobody = str(uuid.UUID(int=0))
    unknown = rpc(url, nobody, "message/send", {"message": user_message("x")})
    assert unknown["error"] == {"code": -32602, "message": f"Assistant '{nobody}' not found"}
    graph_id = rpc(url, "agent", "tasks/get", {"id": "x"})
    assert graph_id["error"] == {"code": -32602, "message": "Invalid assistant ID: must be a UUID"}
    no_task = rpc(url, agent, "tasks/get", {"id": f"{uuid.uuid4()}:{uuid.uuid4()}"})
    assert no_task["error"]["code"] == -32001 and no_task["error"]["message"].startswith("Task not found: ")
    no_parts = rpc(url, agent, "message/send", {"message": {"role": "user", "messageId": "m"}})
    assert no_parts["error"] == {"code": -32602, "message": "Message must contain at least one part"}

    not_rpc = httpx.post(f"{url}/a2a/{agent}", json={"id": "9", "method": "message/send"}, headers=JSON).json()
    assert not_rpc["id"] == "9" and not_rpc["error"]["code"] == -32600
    bad_json = httpx.post(f"{url}/a2a/{agent}", content=b"xx", headers={**JSON, "Content-Type": "application/json"})
    assert bad_json.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32700, "message": "Invalid JSON payload"},
    }
    html = httpx.post(
        f"{url}/a2a/{agent}", json={"jsonrpc": "2.0", "id": "1", "method": "tasks/get"}, headers={"Accept": "text/html"}
    )
    assert html.status_code == 400 and html.json() == {"error": "Accept header must include application/json"}
    stream = {"jsonrpc": "2.0", "id": "1", "method": "message/stream", "params": {"message": user_message("x")}}
    not_sse = httpx.post(f"{url}/a2a/{agent}", json=stream, headers=JSON)
    assert not_sse.status_code == 400 and "text/event-stream" in not_sse.json()["error"]


def test_listed_in_our_openapi_schema(url: str) -> None:
    paths = httpx.get(f"{url}/openapi.json").json()["paths"]
    assert paths["/a2a/{assistant_id}"]["post"]["summary"] == "A2A JSON-RPC"
    assert paths["/.well-known/agent-card.json"]["get"]["summary"] == "A2A Agent Card"


def test_a2a_1_0_method_names_and_enums(url: str) -> None:
    """The card advertises protocol 1.0: its method names work too, answered with its ProtoJSON enums."""
    agent = assistant_id(url, "agent")
    message = {"role": "ROLE_USER", "parts": [{"text": "hello v1"}], "messageId": "v1-1"}
    task = rpc(url, agent, "SendMessage", {"message": message})["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert [(m["role"], m["parts"][0]["text"]) for m in task["history"]] == [
        ("ROLE_USER", "hello v1"),
        ("ROLE_AGENT", "You said: hello v1"),
    ]
    got = rpc(url, agent, "GetTask", {"id": task["id"]})["result"]
    assert got["id"] == task["id"] and got["status"]["state"] == "TASK_STATE_COMPLETED"
    assert rpc(url, agent, "CancelTask", {"id": task["id"]})["error"]["code"] == -32002

    stream = {"jsonrpc": "2.0", "id": "s", "method": "SendStreamingMessage", "params": {"message": message}}
    response = httpx.post(f"{url}/a2a/{agent}", json=stream, headers=SSE, timeout=60)
    first, *_, final = sse_results(response)
    assert first["task"]["status"]["state"] == "TASK_STATE_SUBMITTED"
    assert first["task"]["history"][0]["parts"] == [{"text": "hello v1"}]  # as sent
    assert final["status"]["state"] == "TASK_STATE_COMPLETED" and final["final"] is True
