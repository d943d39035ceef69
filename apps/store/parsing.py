"""Pure parsing of store requests: namespaces and search filters (no database)."""

from collections.abc import Sequence
from typing import Any

from apps.core.errors import InvalidInput

# The comparison operators langgraph's PostgresStore understands in a search filter.
FILTER_OPERATORS = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte")


class NoMatch(Exception):
    """Two filters on one field cannot both hold (e.g. an auth filter and the user's): nothing matches."""


def contains_nul(data: Any) -> bool:
    """Whether a JSON value holds a NUL character anywhere (PostgreSQL's jsonb and text refuse it)."""
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(contains_nul(item) for item in data)
    return False


def namespace_from_param(raw: str | None) -> tuple[str, ...]:
    """`GET /store/items?namespace=a.b`: the SDK joins labels with '.'. Missing or empty is the label ''."""
    return tuple((raw or "").split("."))


def validate_namespace(namespace: Sequence[Any], *, allow_empty: bool = True) -> tuple[str, ...]:
    """Labels are non-empty strings without '.', as upstream; returns the namespace as a tuple. Raises InvalidInput."""
    if not isinstance(namespace, list | tuple):
        raise InvalidInput("Namespace must be a list of labels")
    for label in namespace:
        if not isinstance(label, str) or not label or "." in label:
            raise InvalidInput(f"Namespace label {label!r} must be a non-empty string without periods")
        if "\x00" in label:
            raise InvalidInput(f"Namespace label {label!r} must not contain null characters")
    if not namespace and not allow_empty:
        raise InvalidInput("Namespace cannot be empty.")
    return tuple(namespace)


def validate_filter(filter_: dict[str, Any] | None) -> dict[str, Any] | None:
    """A value is matched for equality; a dict value holds operators ({"$gt": 3}). Raises InvalidInput."""
    if not filter_:
        return filter_
    for field, condition in filter_.items():
        if isinstance(condition, dict):
            unknown = sorted(set(condition) - set(FILTER_OPERATORS))
            if unknown:
                raise InvalidInput(
                    f"filter.{field}: unsupported operator(s) {', '.join(unknown)}; use {', '.join(FILTER_OPERATORS)}"
                )
    return filter_


def merge_filters(requested: dict[str, Any] | None, required: dict[str, Any] | None) -> dict[str, Any] | None:
    """Both filters at once (an auth handler's `required` one and the request's).

    The store's filter is a flat AND over fields with no `$and`, so conditions on
    one field are merged into one operator dict. Raises NoMatch when they demand
    different `$eq` values; for another operator given twice (`$gt` 3 and 5,
    inexpressible here) the required one wins: never looser than the auth filter.
    """
    if not required:
        return requested
    if not requested:
        return dict(required)
    merged = {field: _as_operators(condition) for field, condition in requested.items()}
    for field, condition in required.items():
        ops = merged.setdefault(field, {})
        for op, value in _as_operators(condition).items():
            if op == "$eq" and op in ops and ops[op] != value:
                raise NoMatch(field)
            ops[op] = value
    return merged


def _as_operators(condition: Any) -> dict[str, Any]:
    return dict(condition) if isinstance(condition, dict) else {"$eq": condition}
