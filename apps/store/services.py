"""The store API: long-term memory items, read and written through langgraph's PostgresStore.

Each operation runs the custom auth handler for the `store` resource first, as
upstream does: the handler gets a mutable dict (`namespace`, `key`, ...) and may
rewrite the namespace (e.g. prefix it with the user's identity) or deny (403);
the namespace is validated before and after it. A search filter the handler
returns is added to the request's own filter.
"""

import logging
from typing import Any

from langgraph.store.base import NOT_PROVIDED

from apps.auth.custom_auth import authorize
from apps.core.errors import DomainError, InvalidInput
from apps.core.redis import get_redis
from apps.graphs import store as store_factory
from apps.store.parsing import NoMatch, merge_filters, validate_filter, validate_namespace

logger = logging.getLogger(__name__)

SWEEP_GATE_KEY = "store:ttl-sweep"


def put_item(
    namespace: list[str], key: str, value: dict[str, Any], *, index: Any = None, ttl: Any = NOT_PROVIDED
) -> None:
    """Create or replace an item (idempotent). `ttl` in minutes; NOT_PROVIDED = the store's default_ttl."""
    op = {"namespace": validate_namespace(namespace), "key": key, "value": value, "index": index, "ttl": ttl}
    authorize("store", "put", op)
    namespace = validate_namespace(op["namespace"], allow_empty=False)
    ttl_arg = {} if op["ttl"] is NOT_PROVIDED else {"ttl": op["ttl"]}
    try:
        store_factory.get_sync_store().put(namespace, op["key"], op["value"], index=op["index"], **ttl_arg)
    except ValueError as exc:  # the library's input errors: the reserved root label "langgraph", a bad index path
        raise InvalidInput(str(exc)) from exc


def get_item(namespace: tuple[str, ...], key: str | None, *, refresh_ttl: bool | None = None) -> dict[str, Any] | None:
    """The item as upstream's Item JSON, or None when there is none (upstream answers `null`, not 404)."""
    op = {"namespace": validate_namespace(namespace), "key": key, "refresh_ttl": refresh_ttl}
    if not key:
        raise DomainError("Key is required")  # 400, as upstream
    if "\x00" in key:
        raise InvalidInput("key: null characters are not allowed")
    authorize("store", "get", op)
    namespace = validate_namespace(op["namespace"])
    item = store_factory.get_sync_store().get(namespace, op["key"], refresh_ttl=op["refresh_ttl"])
    return item.dict() if item is not None else None


def delete_item(namespace: list[str], key: str) -> None:
    """Delete an item; deleting a missing one is not an error (idempotent)."""
    op = {"namespace": validate_namespace(namespace), "key": key}
    authorize("store", "delete", op)
    store_factory.get_sync_store().delete(validate_namespace(op["namespace"]), op["key"])


def search_items(
    namespace_prefix: list[str] | None,
    *,
    filter: dict[str, Any] | None = None,
    limit: int = 10,
    offset: int = 0,
    query: str | None = None,
    refresh_ttl: bool | None = None,
) -> list[dict[str, Any]]:
    """Items under a namespace prefix, newest first; by similarity to `query` with a store index."""
    op = {
        "namespace": validate_namespace(namespace_prefix or ()),
        "filter": validate_filter(filter),
        "limit": limit,
        "offset": offset,
        "query": query,
        "refresh_ttl": refresh_ttl,
    }
    required = authorize("store", "search", op)
    try:
        combined = merge_filters(validate_filter(op["filter"]), required)
    except NoMatch:
        return []
    items = store_factory.get_sync_store().search(
        validate_namespace(op["namespace"]),
        query=op["query"] or None,
        filter=combined,
        limit=op["limit"],
        offset=op["offset"],
        refresh_ttl=op["refresh_ttl"],
    )
    return [item.dict() for item in items]


def list_namespaces(
    *,
    prefix: list[str] | None = None,
    suffix: list[str] | None = None,
    max_depth: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[list[str]]:
    """Distinct namespaces matching prefix/suffix (labels may be "*"), truncated to max_depth, sorted."""
    op = {
        "namespace": _optional_namespace(prefix),
        "suffix": _optional_namespace(suffix),
        "max_depth": max_depth,
        "limit": limit,
        "offset": offset,
    }
    authorize("store", "list_namespaces", op)
    namespaces = store_factory.get_sync_store().list_namespaces(
        prefix=_optional_namespace(op["namespace"]),
        suffix=_optional_namespace(op["suffix"]),
        max_depth=op["max_depth"],
        limit=op["limit"],
        offset=op["offset"],
    )
    return [list(namespace) for namespace in namespaces]


def _optional_namespace(namespace: Any) -> tuple[str, ...] | None:
    return validate_namespace(namespace) if namespace else None


def sweep_expired_items(*, force: bool = False) -> int | None:
    """Delete expired items if a sweep is due; returns how many, or None when it was not due.

    Beat calls this every STORE_SWEEP_CHECK_S; a Redis key that lives one sweep
    interval (langgraph.json store.ttl.sweep_interval_minutes) lets one sweep
    through per interval however many beats or workers there are. Reads never
    see expired items anyway (the store omits them), so a late sweep only costs space.
    """
    interval_s = store_factory.sweep_interval_s()
    if not force and not get_redis().set(SWEEP_GATE_KEY, "1", nx=True, ex=max(1, int(interval_s))):
        return None
    deleted = store_factory.get_sync_store().sweep_ttl()
    if deleted:
        logger.info("store sweep deleted %d expired item(s)", deleted)
    return deleted
