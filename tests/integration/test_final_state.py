"""A run's final state comes from the checkpoint LangGraph streams at the end, and it is
what reading the thread's state back gives; a graph that stopped with tasks left
(an interrupt) is read back from the checkpointer instead."""

import asyncio
import uuid
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from apps.graphs.checkpointer import get_async_checkpointer
from apps.runs import executor
from apps.runs.publisher import EventPublisher

pytestmark = pytest.mark.django_db(transaction=True)


class Question(TypedDict):
    question: str


class Answer(TypedDict):
    answer: str


class Work(Question, Answer):
    scratch: list[str]


def think(state: Work) -> dict:
    return {"scratch": [f"thinking about {state['question']}"]}


def answer(state: Work) -> dict:
    return {"answer": f"{len(state['scratch'])} thought(s)"}


def ask(state: Work) -> dict:
    return {"answer": interrupt("which one?")}


def narrowed_graph(last_node: Any) -> StateGraph:
    """The state keeps a scratch pad the output schema leaves out (as the thread's state still shows it)."""
    builder = StateGraph(Work, input_schema=Question, output_schema=Answer)
    builder.add_node("think", think)
    builder.add_node("last", last_node)
    builder.add_edge(START, "think")
    builder.add_edge("think", "last")
    builder.add_edge("last", END)
    return builder


def spec_for(thread_id: str, **overrides: Any) -> executor.RunSpec:
    run_id = str(uuid.uuid4())
    config = {"configurable": {"thread_id": thread_id, "run_id": run_id}, "metadata": {"run_id": run_id}}
    fields = {"input": {"question": "tea"}, "command": None, "stream_modes": ["values"], **overrides}
    return executor.RunSpec(
        run_id=run_id, thread_id=thread_id, graph_id="narrowed", config=config, context=None, **fields
    )


def streamed_and_read_back(last_node: Any, **overrides: Any) -> tuple[executor.RunOutcome | None, executor.RunOutcome]:
    """The outcome taken from the stream (None: not told) and the one read back from the checkpointer."""

    async def scenario() -> tuple[executor.RunOutcome | None, executor.RunOutcome]:
        saver = await get_async_checkpointer()
        try:
            graph = narrowed_graph(last_node).compile(checkpointer=saver)
            spec = spec_for(str(uuid.uuid4()), **overrides)
            publisher = EventPublisher(executor.get_async_redis(), spec.run_id, spec.thread_id, 1)
            last_checkpoint = await executor._stream_graph(graph, spec, publisher)
            await publisher.close()
            return executor._outcome_of_finished_graph(last_checkpoint), await executor._final_outcome(graph, spec)
        finally:
            await saver.conn.close()

    return asyncio.run(scenario())


def test_a_finished_graphs_state_comes_from_the_stream_and_matches_the_read_back() -> None:
    streamed, read_back = streamed_and_read_back(answer)
    assert streamed is not None
    # The whole state, as reading it back gives it: not only the output schema's keys.
    full_state = {"question": "tea", "scratch": ["thinking about tea"], "answer": "1 thought(s)"}
    assert streamed.values == read_back.values == full_state
    assert (streamed.status, streamed.thread_status) == ("success", "idle")
    assert (read_back.status, read_back.thread_status) == ("success", "idle")
    assert streamed.interrupts == read_back.interrupts == {}
    assert streamed.pending_interrupts == read_back.pending_interrupts == []


def test_a_graph_interrupted_in_a_node_is_read_back() -> None:
    streamed, read_back = streamed_and_read_back(ask)
    assert streamed is None
    assert read_back.thread_status == "interrupted"
    assert [i["value"] for i in read_back.pending_interrupts] == ["which one?"]


def test_a_graph_stopped_before_a_node_is_read_back() -> None:
    streamed, read_back = streamed_and_read_back(answer, interrupt_before=["last"])
    assert streamed is None
    assert read_back.thread_status == "interrupted"
    assert read_back.values == {"question": "tea", "scratch": ["thinking about tea"]}


def test_checkpoints_are_published_only_when_asked_for() -> None:
    async def published_modes(stream_modes: list[str]) -> set[str]:
        saver = await get_async_checkpointer()
        try:
            graph = narrowed_graph(answer).compile(checkpointer=saver)
            spec = spec_for(str(uuid.uuid4()), stream_modes=stream_modes)
            published: list[str] = []
            publisher = EventPublisher(executor.get_async_redis(), spec.run_id, spec.thread_id, 1)
            publisher.publish = lambda event, data: published.append(event)  # type: ignore[method-assign]
            await executor._stream_graph(graph, spec, publisher)
            await publisher.close()
            return set(published)
        finally:
            await saver.conn.close()

    assert asyncio.run(published_modes(["updates"])) == {"updates"}
    assert asyncio.run(published_modes(["updates", "checkpoints"])) == {"updates", "checkpoints"}
