"""The graph registry: every graph of langgraph.json, loaded once per process.

A graph entry may name a compiled graph, an uncompiled StateGraph (compiled
here), or a factory taking a RunnableConfig (called per run, possibly async).
"""

import asyncio
import importlib
import importlib.util
import inspect
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

from apps.graphs.config import (
    GraphConfigError,
    GraphSpec,
    LangGraphConfig,
    apply_environment,
    forget_config,
    get_config,
)
from apps.graphs.embeddings import as_embeddings

# The namespace upstream derives default assistant ids from, so an assistant id
# that works against `langgraph dev` works here too.
NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def default_assistant_id(graph_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE_GRAPH, graph_id)


@dataclass
class LoadedGraph:
    spec: GraphSpec
    graph: Pregel | None  # None for a factory
    factory: Any = None

    @property
    def graph_id(self) -> str:
        return self.spec.graph_id

    async def build(self, config: dict[str, Any]) -> Pregel:
        """The graph for one run: the compiled graph, or what the factory makes."""
        if self.graph is not None:
            return self.graph
        made = _call_factory(self.factory, config)
        if inspect.isawaitable(made):
            made = await made
        return _as_pregel(self.spec, made)

    def build_sync(self, config: dict[str, Any]) -> Pregel:
        if self.graph is not None:
            return self.graph
        made = _call_factory(self.factory, config)
        if inspect.isawaitable(made):
            made = asyncio.run(made)
        return _as_pregel(self.spec, made)


def _call_factory(factory: Any, config: dict[str, Any]) -> Any:
    params = inspect.signature(factory).parameters
    return factory(config) if params else factory()


def _as_pregel(spec: GraphSpec, value: Any) -> Pregel:
    if isinstance(value, StateGraph):
        return value.compile()
    if isinstance(value, Pregel):
        return value
    raise GraphConfigError(
        f"graph {spec.graph_id!r}: {spec.target!r} is a {type(value).__name__}, "
        "expected a compiled graph, a StateGraph or a factory returning one"
    )


def _import_target(spec: GraphSpec, base_dir: Path) -> Any:
    module_part, attr = spec.split()
    try:
        if spec.is_file:
            file_path = (base_dir / module_part).resolve()
            if not file_path.exists():
                raise GraphConfigError(f"graph {spec.graph_id!r}: file {file_path} does not exist")
            module_name = f"agentplatform_graphs.{spec.graph_id}.{file_path.stem}"
            module = sys.modules.get(module_name)
            if module is None:
                module_spec = importlib.util.spec_from_file_location(module_name, file_path)
                assert module_spec and module_spec.loader
                module = importlib.util.module_from_spec(module_spec)
                sys.modules[module_name] = module
                module_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_part)
    except GraphConfigError:
        raise
    except Exception as exc:
        raise GraphConfigError(
            f"graph {spec.graph_id!r}: importing {module_part!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if not hasattr(module, attr):
        raise GraphConfigError(f"graph {spec.graph_id!r}: {module_part!r} has no variable {attr!r}")
    return getattr(module, attr)


def load_graph(spec: GraphSpec, base_dir: Path) -> LoadedGraph:
    value = _import_target(spec, base_dir)
    if isinstance(value, Pregel | StateGraph):
        return LoadedGraph(spec, _as_pregel(spec, value))
    if callable(value):
        return LoadedGraph(spec, None, factory=value)
    return LoadedGraph(spec, _as_pregel(spec, value))


def load_auth(config: LangGraphConfig) -> Any:
    """The langgraph_sdk.Auth named by langgraph.json's `auth.path`, or None."""
    if config.auth_path is None:
        return None
    from langgraph_sdk import Auth

    auth = _import_target(GraphSpec("auth", config.auth_path), config.base_dir)
    if not isinstance(auth, Auth):
        raise GraphConfigError(f"auth: {config.auth_path!r} is a {type(auth).__name__}, expected a langgraph_sdk.Auth")
    return auth


def load_embeddings(config: LangGraphConfig) -> Any:
    """The Embeddings for langgraph.json's `store.index.embed`, or None without an index.

    `embed` is "./file.py:attr" or "package.module:attr" (a function from texts to
    vectors, sync or async, or a LangChain Embeddings), else a LangChain
    "provider:model" string (which needs `langchain` and the provider's package).
    """
    if config.store.index is None:
        return None
    embed = config.store.index["embed"]
    spec = GraphSpec("store.index.embed", embed)
    target = _import_target(spec, config.base_dir) if spec.is_file or _names_python_object(embed) else embed
    try:
        return as_embeddings(target)
    except Exception as exc:
        raise GraphConfigError(f"store.index.embed: {embed!r} cannot be used: {exc}") from exc


def _names_python_object(target: str) -> bool:
    """'pkg.mod:attr' with an importable module, as opposed to a 'provider:model-name' string."""
    module_part, _, attr = target.rpartition(":")
    if not module_part or not attr.isidentifier():
        return False
    try:
        return importlib.util.find_spec(module_part) is not None
    except (ImportError, ValueError):
        return False


class GraphRegistry:
    def __init__(self, config: LangGraphConfig) -> None:
        self.config = config
        apply_environment(config)
        self.graphs = {gid: load_graph(spec, config.base_dir) for gid, spec in config.graphs.items()}
        self.auth = load_auth(config)
        self.embeddings = load_embeddings(config)

    def get(self, graph_id: str) -> LoadedGraph:
        return self.graphs[graph_id]

    def __contains__(self, graph_id: str) -> bool:
        return graph_id in self.graphs

    def ids(self) -> list[str]:
        return list(self.graphs)


_registry: GraphRegistry | None = None
_registry_lock = threading.Lock()


def get_registry() -> GraphRegistry:
    """Load langgraph.json on first use; raises GraphConfigError naming the bad entry."""
    global _registry
    if _registry is None:
        with _registry_lock:
            if _registry is None:
                _registry = GraphRegistry(get_config())
    return _registry


def reset_registry() -> None:
    """Load langgraph.json and its graphs again at the next get_registry()."""
    global _registry
    _registry = None
    forget_config()
