"""MCP over streamable HTTP at /mcp: assistants are tools; calling one runs it statelessly."""

import httpx

HEADERS = {"Accept": "application/json, text/event-stream"}


def rpc(url: str, method: str, params: dict | None = None, request_id: int | None = 1) -> httpx.Response:
    message = {"jsonrpc": "2.0", "method": method, "params": params or {}}
    if request_id is not None:
        message["id"] = request_id
    return httpx.post(f"{url}/mcp/", json=message, headers=HEADERS, timeout=60)


def test_initialize_list_and_call_tools(url: str) -> None:
    init = rpc(url, "initialize", {"protocolVersion": "2025-03-26", "clientInfo": {"name": "t", "version": "1"}})
    assert init.status_code == 200
    assert init.json()["result"]["capabilities"]["tools"] == {"listChanged": False}
    assert rpc(url, "notifications/initialized", request_id=None).status_code == 202

    tools = {tool["name"]: tool for tool in rpc(url, "tools/list", request_id=2).json()["result"]["tools"]}
    assert {"agent", "slow", "failing"} <= set(tools)
    assert "messages" in tools["agent"]["inputSchema"]["properties"]

    called = rpc(
        url, "tools/call", {"name": "agent", "arguments": {"messages": [{"role": "user", "content": "hi"}]}}, 3
    )
    result = called.json()
    assert result["id"] == 3 and result["result"]["isError"] is False
    assert "You said: hi" in result["result"]["content"][0]["text"]

    failed = rpc(url, "tools/call", {"name": "failing", "arguments": {}}, 4).json()["result"]
    assert failed["isError"] is True and "boom" in failed["content"][0]["text"]


def test_protocol_errors(url: str) -> None:
    unknown_tool = rpc(url, "tools/call", {"name": "nope", "arguments": {}}).json()
    assert unknown_tool["error"]["code"] == -32602
    assert rpc(url, "no/such/method").json()["error"]["code"] == -32601
    assert httpx.post(f"{url}/mcp/", json={"id": 1, "method": "ping"}).json()["error"]["code"] == -32600
    assert httpx.post(f"{url}/mcp/", json=[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]).status_code == 400
    assert httpx.get(f"{url}/mcp/").status_code == 405
    assert httpx.delete(f"{url}/mcp/").status_code == 404


def test_malformed_messages_are_json_rpc_errors_not_500s(url: str) -> None:
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": 123},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "x"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "agent", "arguments": [1]}},
        "not an object",
    ):
        response = httpx.post(f"{url}/mcp/", json=message)
        assert response.status_code < 500, message
        assert response.json()["error"]["code"] in (-32600, -32602)
