"""The graph registry: every graph of langgraph.json, loaded once per process.

A graph entry may name a compiled graph, an uncompiled StateGraph (compiled
here), or a factory as upstream accepts it: taking nothing, the RunnableConfig,
the server runtime (`langgraph_sdk.runtime.ServerRuntime`: user, store, access
context, and for runs the context) or both; sync or async, or a context manager
entered per use (for a run: set up before it, torn down after it).
"""

import asyncio
import contextlib
import importlib
import importlib.util
import inspect
import logging
import sys
import threading
import typing
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph_sdk.runtime import ServerRuntime, _ExecutionRuntime, _ReadRuntime

from apps.graphs.config import (
    GraphConfigError,
    GraphSpec,
    LangGraphConfig,
    apply_environment,
    forget_config,
    get_config,
)
from apps.graphs.embeddings import as_embeddings

logger = logging.getLogger(__name__)

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
    factory_params: tuple[tuple[str, bool], ...] = ()  # classify_factory(factory), read once at load

    def __post_init__(self) -> None:
        if self.factory is not None and not self.factory_params:
            self.factory_params = classify_factory(self.factory)

    @property
    def graph_id(self) -> str:
        return self.spec.graph_id

    @contextlib.asynccontextmanager
    async def build(
        self,
        config: dict[str, Any],
        *,
        access_context: str = "threads.create_run",
        store: Any = None,
        user: Any = None,
        context: Any = None,
    ) -> AsyncIterator[Pregel]:
        """The graph for one use: the compiled graph, or what the factory makes for it.

        A factory is called as upstream calls it (see `factory_arguments`); it may
        return the graph, a coroutine, or a context manager (sync or async), which
        is entered here and exited when the caller is done with the graph (for a
        run: after the run).
        """
        if self.graph is not None:
            yield self.graph
            return
        runtime = server_runtime(access_context, store=store, user=user, context=context)
        made = self.factory(**factory_arguments(self.factory_params, config, runtime))
        if hasattr(made, "__aenter__") and hasattr(made, "__aexit__"):
            async with made as graph:
                yield _as_pregel(self.spec, graph)
        elif hasattr(made, "__enter__") and hasattr(made, "__exit__"):
            with made as graph:
                yield _as_pregel(self.spec, graph)
        else:
            yield _as_pregel(self.spec, await made if inspect.isawaitable(made) else made)

    def build_sync(
        self, config: dict[str, Any], access_context: str = "assistants.read", *, store: Any = None, user: Any = None
    ) -> Pregel:
        """The graph for reading its structure or state outside an event loop; a factory gets the
        request's `store` and `user` in its ServerRuntime (the caller passes them: the registry
        knows neither the store nor the request)."""
        if self.graph is not None:
            return self.graph

        async def built() -> Pregel:
            async with self.build(config, access_context=access_context, store=store, user=user) as graph:
                return graph

        return asyncio.run(built())


def server_runtime(access_context: str, *, store: Any = None, user: Any = None, context: Any = None) -> Any:
    """The langgraph_sdk ServerRuntime a factory receives: its `execution_runtime` (with the run's
    context) when called to execute a run, the read variant for introspection and state reads."""
    if access_context == "threads.create_run":
        return _ExecutionRuntime(access_context=access_context, user=user, store=store, context=context)
    return _ReadRuntime(access_context=access_context, user=user, store=store)


def _is_runtime_type(annotation: Any) -> bool:
    if annotation is ServerRuntime:
        return True
    if isinstance(annotation, type):
        return issubclass(annotation, _ExecutionRuntime | _ReadRuntime)
    origin = typing.get_origin(annotation)
    if origin is ServerRuntime:
        return True
    args = typing.get_args(annotation)
    return origin is not None and bool(args) and _is_runtime_type(args[0])  # Annotated[ServerRuntime, ...]


def classify_factory(factory: Any) -> tuple[tuple[str, bool], ...]:
    """A graph factory's parameters as (name, takes the runtime), by upstream's convention: none;
    one (the config, or the runtime when annotated `ServerRuntime`); or two, the one annotated
    `ServerRuntime` getting the runtime and the other the config. Raises GraphConfigError."""
    params = list(inspect.signature(factory).parameters.values())
    try:
        hints = typing.get_type_hints(factory, localns={"ServerRuntime": ServerRuntime})
    except Exception:  # unresolvable string annotations: fall back to the raw ones
        hints = {}
    classified = tuple((p.name, _is_runtime_type(hints.get(p.name, p.annotation))) for p in params)
    if len(classified) <= 1 or (len(classified) == 2 and [rt for _, rt in classified].count(True) == 1):
        return classified
    raise GraphConfigError(
        f"graph factory {getattr(factory, '__qualname__', factory)!r} must take no argument, `config`, "
        "`runtime: ServerRuntime`, or both (one of them annotated ServerRuntime)"
    )


def factory_arguments(params: tuple[tuple[str, bool], ...], config: dict[str, Any], runtime: Any) -> dict[str, Any]:
    return {name: runtime if takes_runtime else config for name, takes_runtime in params}


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


def load_custom_app(config: LangGraphConfig) -> Any:
    """The Starlette (or FastAPI) app named by langgraph.json's `http.app`, or None.

    Only the API process mounts it (apps/core/custom_app.py); `manage.py dev` loads it in
    its start-up check too, so that a broken app stops the start as a broken graph does.
    """
    if config.custom_app is None:
        return None
    target = config.custom_app.target
    app = _import_target(GraphSpec("http.app", target), config.base_dir)
    try:
        from starlette.applications import Starlette
    except ImportError:  # the app's module imported without Starlette: not a Starlette app
        Starlette = None  # noqa: N806
    if Starlette is None or not isinstance(app, Starlette):
        raise GraphConfigError(f"http.app: {target!r} is a {type(app).__name__}, expected a Starlette or FastAPI app")
    return app


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
        for notice in config.ignored:  # once per process: the registry is built once
            logger.warning("langgraph.json: %s (accepted, ignored)", notice)
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
