"""Graph factories in every form upstream accepts, through the SDK: taking the config, the
server runtime (`langgraph_sdk.runtime.ServerRuntime`) and the config, async, and an async
context manager set up before each run and torn down after it."""

from pathlib import Path

from langgraph_sdk import get_client

from tests.conftest import wait_for
from tests.e2e.conftest import run


def test_a_factory_taking_config_and_runtime_gets_the_run_context_and_the_store(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        output = await client.runs.wait(None, "factory_runtime", input={}, context={"k": 1})
        assert output["steps"] == [
            "suffix=None",
            "access=threads.create_run",
            "user=None",
            "store=AsyncPostgresStore",
            "context={'k': 1}",
        ]
        output = await client.runs.wait(None, "factory_runtime", input={}, config={"configurable": {"suffix": "s"}})
        assert output["steps"][0] == "suffix=s"
        # Reading the graph calls the factory too, with the read runtime.
        graph = await client.assistants.get_graph("factory_runtime")
        assert [node["id"] for node in graph["nodes"]] == ["__start__", "report", "__end__"]

    run(main())


def test_an_async_factory_taking_config(url: str) -> None:
    async def main() -> None:
        client = get_client(url=url)
        output = await client.runs.wait(None, "factory_async", input={}, config={"configurable": {"suffix": "x"}})
        assert output["steps"] == ["async:x"]

    run(main())


def test_a_context_manager_factory_is_entered_before_the_run_and_exited_after(url: str, tmp_path: Path) -> None:
    log = tmp_path / "managed.log"

    async def main() -> None:
        client = get_client(url=url)
        thread = await client.threads.create()
        config = {"configurable": {"log_path": str(log)}}
        first = await client.runs.create(thread["thread_id"], "factory_managed", input={}, config=config)
        output = await client.runs.join(thread["thread_id"], first["run_id"])
        assert output["steps"][:2] == ["managed", "access=threads.create_run"]
        second = await client.runs.create(thread["thread_id"], "factory_managed", input={}, config=config)
        await client.runs.join(thread["thread_id"], second["run_id"])
        # State reads build the graph with the read runtime: no resource is set up for them.
        state = await client.threads.get_state(thread["thread_id"])
        assert state["values"]["steps"][0] == "managed"
        return first["run_id"], second["run_id"]

    first, second = run(main())
    # The exit runs after the run's output is recorded: wait for it rather than assume it.
    wait_for(lambda: log.exists() and log.read_text().count("exit") == 2, timeout_s=10)
    assert log.read_text().splitlines() == [f"enter {first}", f"exit {first}", f"enter {second}", f"exit {second}"]
