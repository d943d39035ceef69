"""An assistant's graph as a picture: LangGraph's own graph description, laid out by Graphviz.

`graph.get_graph(xray=...)` gives the nodes and edges (conditional ones
flagged, subgraph nodes named `parent:child`), the model LangGraph's own
draw_mermaid/draw_png use. The `graphviz` package writes DOT from it and
Graphviz's `dot` (Debian's graphviz package, installed by scripts/test and the
Dockerfile) lays it out as SVG, offline.
"""

import html
import re
import shutil
from typing import TYPE_CHECKING, Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    # Imported where a diagram is drawn: this module loads with the admin in every API process.
    import graphviz

START, END = "__start__", "__end__"
NODE_FILL = "#f2f0ff"
INTERRUPT_COLOR = "#8250df"
SUBGRAPH_SEPARATOR = ":"
FONT = "Helvetica"


class DiagramUnavailable(Exception):
    """The picture cannot be drawn here (no Graphviz); the page shows the graph as text instead."""


def graph_dot(graph: Any, *, interrupt_before: list[str] = (), interrupt_after: list[str] = ()) -> "graphviz.Digraph":
    """DOT for a LangGraph drawable graph (langchain_core.runnables.graph.Graph).

    Conditional edges are dashed; nodes the graph interrupts before/after carry a
    purple "interrupt before" / "interrupt after" mark; subgraph nodes (`parent:child` ids with
    xray) are grouped in a labelled cluster per parent.
    """
    import graphviz

    dot = graphviz.Digraph(
        "graph",
        graph_attr={"rankdir": "TB", "bgcolor": "transparent", "fontname": FONT, "nodesep": "0.4", "ranksep": "0.45"},
        node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": NODE_FILL, "fontname": FONT},
        edge_attr={"fontname": FONT, "fontsize": "10", "color": "#57606a", "arrowsize": "0.7"},
    )
    clusters: dict[str, graphviz.Digraph] = {}
    for node_id, node in graph.nodes.items():
        parent = node_id.rpartition(SUBGRAPH_SEPARATOR)[0]
        for ancestor in _ancestors(parent):
            clusters.setdefault(ancestor, _cluster(ancestor))
        target = clusters[parent] if parent else dot
        target.node(_dot_name(node_id), **_node_attrs(node_id, node.name, interrupt_before, interrupt_after))
    # graphviz copies a subgraph's body when it is attached: attach the innermost first.
    for parent in sorted(clusters, key=lambda p: p.count(SUBGRAPH_SEPARATOR), reverse=True):
        grandparent = parent.rpartition(SUBGRAPH_SEPARATOR)[0]
        (clusters[grandparent] if grandparent else dot).subgraph(clusters[parent])
    for edge in graph.edges:
        attrs = {"style": "dashed"} if edge.conditional else {}
        if edge.data:
            attrs["label"] = str(edge.data)
        dot.edge(_dot_name(edge.source), _dot_name(edge.target), **attrs)
    return dot


def _dot_name(node_id: str) -> str:
    # The graphviz package reads `a:b` as node a, port b: name subgraph nodes `a › b` instead.
    return node_id.replace(SUBGRAPH_SEPARATOR, " › ")


def _ancestors(parent: str) -> list[str]:
    parts = parent.split(SUBGRAPH_SEPARATOR) if parent else []
    return [SUBGRAPH_SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def _cluster(parent: str) -> "graphviz.Digraph":
    import graphviz

    label = parent.rpartition(SUBGRAPH_SEPARATOR)[2]
    return graphviz.Digraph(
        f"cluster_{_dot_name(parent)}",
        graph_attr={
            "label": f"subgraph: {label}",
            "style": "rounded,dashed",
            "color": "#8c959f",
            "fontsize": "11",
            "fontcolor": "#57606a",
        },
    )


def _node_attrs(node_id: str, name: str, before: list[str], after: list[str]) -> dict[str, str]:
    if node_id == START:
        return {"label": "start", "shape": "oval", "style": "filled", "fillcolor": "#ffffff", "color": "#8c959f"}
    if node_id == END:
        return {"label": "end", "shape": "oval", "style": "filled", "fillcolor": "#bfb6fc", "color": "#8c959f"}
    paused_before = "*" in before or node_id in before or name in before  # "*": every node
    paused_after = "*" in after or node_id in after or name in after
    if not (paused_before or paused_after):
        return {"label": name}
    marks = [m for m, on in (("interrupt before", paused_before), ("interrupt after", paused_after)) if on]
    label = f'<{html.escape(name)}<BR/><FONT POINT-SIZE="9" COLOR="{INTERRUPT_COLOR}">{" · ".join(marks)}</FONT>>'
    return {"label": label, "color": INTERRUPT_COLOR, "penwidth": "2", "class": "interrupt"}


def render_svg(dot: "graphviz.Digraph") -> SafeString:
    """The <svg> element (no XML prolog), ready to inline. Raises DiagramUnavailable."""
    import graphviz

    if shutil.which("dot") is None:
        raise DiagramUnavailable("Graphviz's `dot` is not installed (apt-get install graphviz)")
    try:
        svg = dot.pipe(format="svg", encoding="utf-8")
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as exc:
        raise DiagramUnavailable(str(exc)) from exc
    # Graphviz escapes every label it writes; only the prolog before <svg> goes.
    return mark_safe(re.sub(r"^.*?(?=<svg)", "", svg, flags=re.S))


def assistant_diagram(assistant: Any) -> SafeString:
    """The assistant's graph as inline SVG (subgraphs expanded), or as Mermaid text when it cannot be drawn."""
    from apps.assistants.services import built_graph

    try:
        compiled = built_graph(assistant)
        drawable = compiled.get_graph(xray=True)
    except Exception as exc:  # user code that fails to build must not break the admin page
        return format_html('<p class="errornote">The graph could not be built: {}</p>', f"{type(exc).__name__}: {exc}")
    dot = graph_dot(
        drawable,
        interrupt_before=_interrupt_nodes(compiled.interrupt_before_nodes),
        interrupt_after=_interrupt_nodes(compiled.interrupt_after_nodes),
    )
    try:
        svg = render_svg(dot)
    except DiagramUnavailable as exc:
        return format_html('<p class="help">{}</p><pre>{}</pre>', str(exc), drawable.draw_mermaid())
    return format_html(
        '<div class="console-diagram">{}</div><p class="help">{}</p>',
        svg,
        "Dashed arrow: conditional edge. Purple node: the graph interrupts there. "
        "Dashed box: a subgraph, drawn expanded.",
    )


def _interrupt_nodes(nodes: Any) -> list[str]:
    return list(nodes) if nodes else []  # LangGraph's "*" (every node) becomes ["*"]
