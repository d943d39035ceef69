"""The trivial graph every benchmark runs: one node that echoes the input."""

import asyncio
from typing import TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    text: str


def echo(state: State) -> dict:
    return {"text": state.get("text", "")}


builder = StateGraph(State)
builder.add_node("echo", echo)
builder.add_edge(START, "echo")
graph = builder.compile()


async def nap(state: State, config: RunnableConfig) -> dict:
    await asyncio.sleep(float(config.get("configurable", {}).get("delay", 30)))
    return {"text": "woke up"}


slow_builder = StateGraph(State)
slow_builder.add_node("nap", nap)
slow_builder.add_edge(START, "nap")
slow = slow_builder.compile()
