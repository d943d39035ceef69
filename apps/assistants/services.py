"""Assistants: create, version, search, and the default assistant of each graph."""

import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from apps.assistants.models import Assistant, AssistantVersion
from apps.auth.custom_auth import current_user
from apps.core.errors import Conflict, InvalidInput, NotFound
from apps.core.queries import apply_sort
from apps.graphs.registry import GraphRegistry, default_assistant_id, get_registry
from apps.graphs.store import get_sync_store
from apps.threads.services import delete_threads_of_assistant

SYSTEM_METADATA = {"created_by": "system"}


def _check_graph(graph_id: str) -> None:
    registry = get_registry()
    if graph_id not in registry:
        raise NotFound(f"Graph '{graph_id}' not found. Known graphs: {', '.join(registry.ids())}")


def _snapshot(assistant: Assistant) -> AssistantVersion:
    return AssistantVersion.objects.create(
        assistant=assistant,
        version=assistant.version,
        graph_id=assistant.graph_id,
        name=assistant.name,
        description=assistant.description,
        config=assistant.config,
        context=assistant.context,
        metadata=assistant.metadata,
    )


def create_assistant(
    *,
    graph_id: str,
    assistant_id: uuid.UUID | None = None,
    config: dict | None = None,
    context: dict | None = None,
    metadata: dict | None = None,
    name: str | None = None,
    description: str | None = None,
    if_exists: str = "raise",
) -> Assistant:
    """Create version 1 of an assistant. Raises NotFound (graph), Conflict (id taken)."""
    _check_graph(graph_id)
    assistant_id = assistant_id or uuid.uuid4()
    existing = Assistant.objects.filter(pk=assistant_id).first()
    if existing is not None:
        if if_exists == "do_nothing":
            return existing
        raise Conflict(f"Assistant {assistant_id} already exists")
    try:
        with transaction.atomic():
            assistant = Assistant.objects.create(
                assistant_id=assistant_id,
                graph_id=graph_id,
                name=name or "Untitled",
                description=description,
                config=config or {},
                context=context or {},
                metadata=metadata or {},
            )
            _snapshot(assistant)
    except IntegrityError as exc:
        if if_exists == "do_nothing":
            return Assistant.objects.get(pk=assistant_id)
        raise Conflict(f"Assistant {assistant_id} already exists") from exc
    return assistant


def get_assistant(assistant_id: uuid.UUID | str) -> Assistant:
    """Raises NotFound."""
    try:
        return Assistant.objects.get(pk=assistant_id)
    except (Assistant.DoesNotExist, ValueError) as exc:
        raise NotFound(f"Assistant {assistant_id} not found") from exc


def resolve_assistant(assistant_id_or_graph_id: str) -> Assistant:
    """An assistant by UUID, or a graph id meaning that graph's default assistant."""
    return get_assistant(resolve_assistant_id(assistant_id_or_graph_id))


def resolve_assistant_id(assistant_id_or_graph_id: str) -> uuid.UUID:
    """The UUID an assistant reference means, without reading it (raises InvalidInput for an unknown graph)."""
    try:
        return uuid.UUID(str(assistant_id_or_graph_id))
    except ValueError:
        registry = get_registry()
        if assistant_id_or_graph_id not in registry:
            raise InvalidInput(
                f"Invalid assistant: '{assistant_id_or_graph_id}'. Must be either a valid assistant UUID "
                f"or one of the registered graphs: {', '.join(registry.ids())}"
            ) from None
        return default_assistant_id(assistant_id_or_graph_id)


def patch_assistant(assistant_id: uuid.UUID, changes: dict[str, Any]) -> Assistant:
    """Write a new version with `changes` applied; it becomes the latest. Raises NotFound."""
    if changes.get("graph_id"):
        _check_graph(changes["graph_id"])
    with transaction.atomic():
        assistant = Assistant.objects.select_for_update().filter(pk=assistant_id).first()
        if assistant is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        for field in ("graph_id", "name", "description", "config", "context"):
            if changes.get(field) is not None:
                setattr(assistant, field, changes[field])
        if changes.get("metadata") is not None:
            assistant.metadata = {**assistant.metadata, **changes["metadata"]}
        latest = assistant.versions.order_by("-version").values_list("version", flat=True).first() or 0
        assistant.version = latest + 1
        assistant.save()
        _snapshot(assistant)
    return assistant


def delete_assistant(assistant_id: uuid.UUID, *, delete_threads: bool = False) -> None:
    """Delete the assistant, its versions and its runs; with `delete_threads`, also the threads
    whose metadata names it (upstream's query flag). Raises NotFound."""
    with transaction.atomic():
        deleted, _ = Assistant.objects.filter(pk=assistant_id).delete()
        if not deleted:
            raise NotFound(f"Assistant {assistant_id} not found")
        if delete_threads:
            delete_threads_of_assistant(assistant_id)


def _filtered(metadata: dict | None, graph_id: str | None, name: str | None) -> QuerySet:
    queryset = Assistant.objects.all()
    if metadata:
        queryset = queryset.filter(metadata__contains=metadata)
    if graph_id:
        queryset = queryset.filter(graph_id=graph_id)
    if name:
        queryset = queryset.filter(name__icontains=name)
    return queryset


def search_assistants(
    *,
    metadata: dict | None = None,
    graph_id: str | None = None,
    name: str | None = None,
    limit: int = 10,
    offset: int = 0,
    sort_by: str | None = None,
    sort_order: str | None = None,
    **_: Any,
) -> list[Assistant]:
    queryset = apply_sort(_filtered(metadata, graph_id, name), sort_by, sort_order)
    return list(queryset[offset : offset + limit])


def count_assistants(*, metadata: dict | None = None, graph_id: str | None = None, name: str | None = None) -> int:
    return _filtered(metadata, graph_id, name).count()


def list_versions(
    assistant_id: uuid.UUID, *, metadata: dict | None = None, limit: int = 10, offset: int = 0
) -> list[AssistantVersion]:
    get_assistant(assistant_id)
    queryset = AssistantVersion.objects.filter(assistant_id=assistant_id).order_by("-version")
    if metadata:
        queryset = queryset.filter(metadata__contains=metadata)
    return list(queryset[offset : offset + limit])


def set_latest_version(assistant_id: uuid.UUID, version: int) -> Assistant:
    """Make a stored version the assistant's current settings. Raises NotFound."""
    with transaction.atomic():
        assistant = Assistant.objects.select_for_update().filter(pk=assistant_id).first()
        if assistant is None:
            raise NotFound(f"Assistant {assistant_id} not found")
        chosen = assistant.versions.filter(version=version).first()
        if chosen is None:
            raise NotFound(f"Assistant {assistant_id} has no version {version}")
        for field in ("graph_id", "name", "description", "config", "context", "metadata"):
            setattr(assistant, field, getattr(chosen, field))
        assistant.version = version
        assistant.save()
    return assistant


def ensure_default_assistants(registry: GraphRegistry | None = None) -> list[Assistant]:
    """One system assistant per graph, with upstream's id (idempotent; run at start-up)."""
    registry = registry or get_registry()
    assistants = []
    for graph_id in registry.ids():
        assistant = create_assistant(
            graph_id=graph_id,
            assistant_id=default_assistant_id(graph_id),
            metadata=dict(SYSTEM_METADATA),
            name=graph_id,
            if_exists="do_nothing",
        )
        assistants.append(assistant)
    return assistants


def graph_for(assistant: Assistant, xray: bool | int = False) -> dict[str, Any]:
    """The drawable graph (nodes, edges) of an assistant's graph."""
    graph = built_graph(assistant)
    try:
        return graph.get_graph(xray=xray).to_json()
    except Exception as exc:  # a graph that cannot be drawn is the graph's problem, not a 500
        raise InvalidInput(f"Graph '{assistant.graph_id}' cannot be drawn: {exc}") from exc


def built_graph(assistant: Assistant) -> Any:
    """The assistant's compiled graph, built with its configuration (factories see it)."""
    loaded = get_registry().get(assistant.graph_id)
    return loaded.build_sync(
        {"configurable": assistant.config.get("configurable", {})}, store=get_sync_store(), user=current_user.get()
    )


def schemas_for(assistant: Assistant) -> dict[str, Any]:
    return {"graph_id": assistant.graph_id, **_graph_schemas(built_graph(assistant))}


def subgraphs_for(assistant: Assistant, namespace: str | None = None, recurse: bool = False) -> dict[str, Any]:
    """The schemas of the graph's subgraphs, by namespace (`parent|child` when recursing)."""
    graph = built_graph(assistant)
    return {ns: _graph_schemas(subgraph) for ns, subgraph in graph.get_subgraphs(namespace=namespace, recurse=recurse)}


def _graph_schemas(graph: Any) -> dict[str, Any]:
    return {
        "input_schema": _schema(graph.get_input_jsonschema),
        "output_schema": _schema(graph.get_output_jsonschema),
        "state_schema": _schema(lambda: _state_schema(graph)),
        "config_schema": _schema(graph.get_config_jsonschema),
        "context_schema": _schema(graph.get_context_jsonschema),
    }


def _state_schema(graph: Any) -> dict[str, Any] | None:
    channels = {name: {} for name in graph.stream_channels_list if not name.startswith("__")}
    return {"title": "State", "type": "object", "properties": channels}


def _schema(produce: Any) -> dict[str, Any] | None:
    try:
        return produce()
    except Exception:  # some graphs have no expressible schema; upstream answers null too
        return None
