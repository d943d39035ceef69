"""The seed tutorial's SDK code, run against our server.

Two adaptations, each marked ADAPTED, because the seed's code cannot work
against any Agent Server, upstream's included:
- the SDK returns plain dicts, so `messages[-1].content` is written
  `messages[-1]["content"]`;
- a background run is joined before its state is read (the seed reads the
  state right after `runs.create`, racing the run).
"""

from langgraph_sdk import get_client

from tests.e2e.conftest import run


def test_using_the_sdk(url: str) -> None:
    async def main() -> list[str]:
        printed = []
        # Connect to the deployed agent
        client = get_client(url=url)

        # Create a thread (conversation context)
        thread = await client.threads.create()
        printed.append(f"Thread ID: {thread['thread_id']}")

        # Run the agent
        result = await client.runs.create(
            thread["thread_id"],
            assistant_id="agent",
            input={"messages": [{"role": "user", "content": "What is AI?"}]},
        )
        await client.runs.join(thread["thread_id"], result["run_id"])  # ADAPTED: wait for the run

        # Get the result
        state = await client.threads.get_state(thread["thread_id"])
        messages = state["values"]["messages"]
        printed.append(f"Agent: {messages[-1]['content']}")  # ADAPTED: dict access
        return printed

    thread_line, agent_line = run(main())
    assert thread_line.startswith("Thread ID: ")
    assert agent_line.startswith("Agent: AI (Artificial Intelligence) refers to the simulation of human intelligence")


def test_streaming_responses(url: str) -> None:
    async def main() -> list[str]:
        printed = []
        client = get_client(url=url)
        thread = await client.threads.create()
        # Stream the agent's response
        async for event in client.runs.stream(
            thread["thread_id"],
            assistant_id="agent",
            input={"messages": [{"role": "user", "content": "Explain ML in 3 sentences."}]},
        ):
            if event.event == "values":
                messages = event.data.get("messages", [])
                if messages:
                    printed.append(messages[-1]["content"])  # ADAPTED: dict access
        return printed

    printed = run(main())
    assert printed == ["Explain ML in 3 sentences.", "You said: Explain ML in 3 sentences."]


def test_wait_returns_the_final_values(url: str) -> None:
    async def main() -> dict:
        client = get_client(url=url)
        thread = await client.threads.create()
        return await client.runs.wait(
            thread["thread_id"],
            assistant_id="agent",
            input={"messages": [{"role": "user", "content": "search the news"}]},
        )

    values = run(main())
    assert [m["content"] for m in values["messages"]] == ["search the news", "Search result: ..."]


def test_enqueue_is_the_default_and_reject_refuses_while_busy(url: str) -> None:
    async def main() -> tuple[list[str], int]:
        client = get_client(url=url)
        thread = await client.threads.create()
        first = await client.runs.create(
            thread["thread_id"], assistant_id="slow", input={}, config={"configurable": {"delay": 1.0}}
        )
        # Enqueue (default) — no special configuration needed
        second = await client.runs.create(
            thread["thread_id"],
            assistant_id="slow",
            input={"steps": []},
        )
        # Reject concurrent runs
        try:
            await client.runs.create(thread["thread_id"], assistant_id="slow", input={}, multitask_strategy="reject")
            rejected_status = 0
        except Exception as error:  # langgraph_sdk raises a typed 409 error
            rejected_status = error.response.status_code
        await client.runs.join(thread["thread_id"], second["run_id"])
        statuses = [(await client.runs.get(thread["thread_id"], r["run_id"]))["status"] for r in (first, second)]
        return statuses, rejected_status

    statuses, rejected_status = run(main())
    assert statuses == ["success", "success"]
    assert rejected_status == 409
