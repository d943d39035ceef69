"""Runtime context as upstream builds it, through the SDK: a graph written like LangGraph's
react-agent template (a `Context` dataclass with defaults, nodes reading `Runtime[Context]`)
gets the schema's defaults when no context is sent, loses keys its schema does not declare,
and sees the assistant's context updated by the run's."""

import httpx
from langgraph_sdk import get_client

from tests.e2e.conftest import run

HELLO = {"messages": [{"role": "user", "content": "hi"}]}


def last_text(output: dict) -> str:
    return output["messages"][-1]["content"]


def test_no_context_gives_the_schemas_defaults(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        output = await client.runs.wait(None, "react_agent", input=HELLO)
        assert last_text(output) == "model=anthropic/claude-sonnet-4-5; prompt=You are a helpful AI assistant."

    run(main())


def test_keys_the_schema_does_not_declare_are_dropped(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        # A dataclass would refuse `bogus` (TypeError): upstream filters it out, so do we.
        output = await client.runs.wait(None, "react_agent", input=HELLO, context={"model": "x/y", "bogus": 1})
        assert last_text(output) == "model=x/y; prompt=You are a helpful AI assistant."
        # A TypedDict schema likewise.
        output = await client.runs.wait(None, "contextual", input={}, context={"name": "Ada", "bogus": 2})
        assert output["steps"] == ["I am Ada"]

    run(main())


def test_assistant_context_is_updated_by_the_runs_and_reaches_tools(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        assistant = await client.assistants.create(
            "react_agent", context={"model": "from/assistant", "system_prompt": "A", "max_search_results": 3}
        )
        thread = await client.threads.create()
        blocks = {"messages": [{"role": "user", "content": [{"type": "text", "text": "please search cats"}]}]}
        output = await client.runs.wait(
            thread["thread_id"], assistant["assistant_id"], input=blocks, context={"max_search_results": 7}
        )
        contents = [m["content"] for m in output["messages"]]
        assert contents[2:] == [
            "7 results for 'please search cats'",
            "from/assistant found: 7 results for 'please search cats'",
        ]

    run(main())


def test_configurable_without_context_is_the_context_and_both_is_refused(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        output = await client.runs.wait(None, "react_agent", input=HELLO, config={"configurable": {"model": "cfg/m"}})
        assert last_text(output) == "model=cfg/m; prompt=You are a helpful AI assistant."
        both = {"assistant_id": "react_agent", "config": {"configurable": {"model": "a"}}, "context": {"model": "b"}}
        async with httpx.AsyncClient(base_url=url) as http:
            refused = await http.post("/runs/wait", json=both)
        assert refused.status_code == 400  # as upstream
        assert "Cannot specify both configurable and context" in refused.json()["detail"]

    run(main())


def test_the_example_agent_takes_content_as_blocks_as_chat_uis_send_it(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        for content in ("hello", [{"type": "text", "text": "hello"}]):
            output = await client.runs.wait(None, "agent", input={"messages": [{"role": "user", "content": content}]})
            assert output["messages"][-1]["content"] == "You said: hello"
        routed = await client.runs.wait(
            None, "agent", input={"messages": [{"role": "user", "content": [{"type": "text", "text": "Search it"}]}]}
        )
        assert routed["messages"][-1]["content"] == "Search result: ..."

    run(main())
