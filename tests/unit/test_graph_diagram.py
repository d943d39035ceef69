"""An assistant's graph drawn from LangGraph's graph model: nodes, conditional edges dashed,
interrupt points marked, subgraphs as clusters, as SVG laid out by Graphviz."""

import re

import pytest
from langgraph.graph import END, START, StateGraph
from typing_extensions import TypedDict

from apps.console import diagram


class State(TypedDict, total=False):
    steps: list[str]


def step(state: State) -> dict:
    return {}


def build() -> object:
    inner = StateGraph(State)
    inner.add_node("lookup", step)
    inner.add_edge(START, "lookup")
    outer = StateGraph(State)
    outer.add_node("plan", step)
    outer.add_node("research", inner.compile())
    outer.add_node("review", step)
    outer.add_edge(START, "plan")
    outer.add_conditional_edges("plan", lambda s: "research", ["research", "review"])
    outer.add_edge("research", "review")
    outer.add_edge("review", END)
    return outer.compile(interrupt_before=["review"])


def svg_of(graph: object) -> str:
    drawable = graph.get_graph(xray=True)
    dot = diagram.graph_dot(drawable, interrupt_before=list(graph.interrupt_before_nodes))
    return str(diagram.render_svg(dot))


def node_titles(svg: str) -> set[str]:
    return set(re.findall(r'<g id="node\d+" class="node[^"]*">\s*<title>([^<]+)</title>', svg))


def test_nodes_edges_interrupts_and_subgraphs_are_drawn() -> None:
    svg = svg_of(build())
    assert svg.startswith("<svg")
    assert node_titles(svg) == {"__start__", "plan", "research › lookup", "review", "__end__"}
    # Conditional edges (plan → research, plan → review) dashed; the others plain.
    edges = re.findall(r'<g id="edge\d+" class="edge">\s*<title>([^<]+)</title>\s*<path([^>]*)>', svg)
    dashed = {title.replace("&#45;&gt;", "->") for title, attrs in edges if "stroke-dasharray" in attrs}
    assert dashed == {"plan->research › lookup", "plan->review"}
    # The interrupt point is marked; the subgraph is a labelled cluster.
    assert re.search(r'class="node interrupt">\s*<title>review</title>', svg)
    assert ">interrupt before<" in svg
    assert re.search(r'class="cluster">\s*<title>cluster_research</title>', svg) and ">subgraph: research<" in svg


def test_every_node_is_an_interrupt_point_with_a_star() -> None:
    graph = build()
    dot = diagram.graph_dot(graph.get_graph(), interrupt_after=["*"])
    assert dot.source.count("interrupt after") == 3  # plan, research, review; not start and end


def test_no_graphviz_means_a_clear_error_not_a_broken_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    with pytest.raises(diagram.DiagramUnavailable, match="apt-get install graphviz"):
        diagram.render_svg(diagram.graph_dot(build().get_graph()))
