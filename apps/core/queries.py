"""Query helpers shared by the search endpoints."""

from typing import Any

from django.db.models import QuerySet


def apply_sort(
    queryset: QuerySet, sort_by: str | None, sort_order: str | None, default: str = "created_at"
) -> QuerySet:
    field = sort_by or default
    descending = (sort_order or "desc") == "desc"
    return queryset.order_by(f"-{field}" if descending else field)


def page(queryset: QuerySet, limit: int, offset: int) -> list[Any]:
    return list(queryset[offset : offset + limit])


def select_fields(item: dict[str, Any], select: list[str] | None) -> dict[str, Any]:
    if not select:
        return item
    return {key: value for key, value in item.items() if key in select}
