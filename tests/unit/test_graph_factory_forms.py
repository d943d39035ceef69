"""A graph factory is called as upstream calls it: by its parameters and their annotations,
its result a graph, a coroutine or a context manager held open while the graph is in use."""

import asyncio
import contextlib
from typing import Annotated

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph
from langgraph_sdk.runtime import ServerRuntime
from typing_extensions import TypedDict

from apps.graphs.config import GraphConfigError, GraphSpec
from apps.graphs.registry import LoadedGraph, classify_factory, factory_arguments, server_runtime

CONFIG = {"configurable": {"suffix": "x"}}


class State(TypedDict, total=False):
    steps: list[str]


def tiny_graph() -> object:
    builder = StateGraph(State)
    builder.add_node("noop", lambda state: {})
    builder.add_edge(START, "noop")
    return builder.compile()


def test_parameters_are_told_apart_by_their_annotation() -> None:
    runtime = server_runtime("threads.create_run", context={"a": 1})

    def no_argument() -> None: ...
    def config_only(config) -> None: ...  # noqa: ANN001
    def runtime_only(rt: ServerRuntime) -> None: ...
    def both(config: RunnableConfig, runtime: ServerRuntime) -> None: ...
    def both_reversed(runtime: Annotated[ServerRuntime, "x"], cfg: RunnableConfig) -> None: ...

    def arguments(factory: object) -> dict:
        return factory_arguments(classify_factory(factory), CONFIG, runtime)

    assert arguments(no_argument) == {}
    assert arguments(config_only) == {"config": CONFIG}
    assert arguments(runtime_only) == {"rt": runtime}
    assert arguments(both) == {"config": CONFIG, "runtime": runtime}
    assert arguments(both_reversed) == {"runtime": runtime, "cfg": CONFIG}


def test_a_factory_with_an_unusable_signature_is_a_config_error() -> None:
    def two_configs(a: RunnableConfig, b: RunnableConfig) -> None: ...

    with pytest.raises(GraphConfigError, match="ServerRuntime"):
        classify_factory(two_configs)


def test_the_runtime_has_the_context_only_when_executing_a_run() -> None:
    executing = server_runtime("threads.create_run", context={"a": 1})
    assert executing.execution_runtime is executing and executing.context == {"a": 1}
    assert server_runtime("threads.read").execution_runtime is None


def test_an_async_context_manager_factory_is_held_open_while_the_graph_is_used() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def managed(config: RunnableConfig):  # noqa: ANN202
        events.append("enter")
        yield tiny_graph()
        events.append("exit")

    async def use() -> None:
        async with LoadedGraph(GraphSpec("m", "./m.py:managed"), None, factory=managed).build(CONFIG) as graph:
            events.append(f"using {type(graph).__name__}")

    asyncio.run(use())
    assert events == ["enter", "using CompiledStateGraph", "exit"]


def test_a_coroutine_factory_result_is_awaited() -> None:
    async def make(config: RunnableConfig) -> object:
        return tiny_graph()

    async def use() -> str:
        async with LoadedGraph(GraphSpec("a", "./a.py:make"), None, factory=make).build(CONFIG) as graph:
            return type(graph).__name__

    assert asyncio.run(use()) == "CompiledStateGraph"
