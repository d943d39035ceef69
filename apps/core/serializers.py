"""Serializer bits every app shares: strict bodies, upstream's search paging."""

import uuid
from typing import Any

from rest_framework import serializers

from agentplatform.compat import ReusedFieldsMixin
from apps.core.parsers import INT64_MAX


class StrictSerializer(ReusedFieldsMixin, serializers.Serializer):
    """Rejects fields it does not know (a typo or an unsupported option never passes silently)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"body": "must be a JSON object"})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: "unknown field" for name in unknown})
        return super().to_internal_value(data)


class AnyJSONField(serializers.JSONField):
    """Any JSON value, including null."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class ObjectField(serializers.DictField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class UUIDField(serializers.UUIDField):
    """A UUID as a JSON string: DRF's own would also take an integer (`5` becoming UUID(int=5))."""

    def to_internal_value(self, data: Any) -> uuid.UUID:
        if not isinstance(data, str):
            self.fail("invalid", value=data)
        return super().to_internal_value(data)


class MetadataFilterField(ObjectField):
    """A search filter on a JSON column: values match by containment (`metadata @> filter`), as upstream.

    Operators (`{"$gt": 1}`) are refused by name rather than matched literally,
    which silently found nothing.
    """

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        stack: list[tuple[dict, str]] = [(value, "")]
        while stack:
            item, path = stack.pop()
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and key.startswith("$"):
                    raise serializers.ValidationError(
                        f"operator {key} (at {where}) is not supported: filters match values exactly"
                    )
                if isinstance(child, dict):
                    stack.append((child, where))
        return value


def check_checkpoint_id(value: Any, within: str = "") -> None:
    """Checkpoint ids are UUIDs (LangGraph writes uuid6): anything else can only find nothing.

    `within` names the key inside the field at fault (DRF prefixes the field's own name)."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        prefix = f"{within}: " if within else ""
        raise serializers.ValidationError(f"{prefix}{value!r} is not a valid checkpoint id (a UUID)") from None


class CheckpointIdField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        check_checkpoint_id(value)
        return value


class CheckpointField(ObjectField):
    """Upstream's CheckpointConfig (`thread_id`, `checkpoint_ns`, `checkpoint_id`, `checkpoint_map`)."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if value.get("checkpoint_id") is not None:
            check_checkpoint_id(value["checkpoint_id"], "checkpoint_id")
        return value


class SortOrderField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(choices=["asc", "desc"], **kwargs)


class OrderByMixin(serializers.Serializer):
    """`order_by` beside `sort_by`/`sort_order` (clients written for other servers send it; upstream
    ignores it): "field" ascending, "-field" descending, a field `sort_by` accepts. sort_by wins."""

    order_by = serializers.CharField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        order_by = attrs.pop("order_by", None)
        if order_by and not attrs.get("sort_by"):
            name = order_by.removeprefix("-")
            if name not in self.fields["sort_by"].choices:
                raise serializers.ValidationError(
                    {"order_by": f"must be one of {sorted(self.fields['sort_by'].choices)}"}
                )
            attrs["sort_by"] = name
            attrs["sort_order"] = attrs.get("sort_order") or ("desc" if order_by.startswith("-") else "asc")
        return attrs


class PageSerializer(StrictSerializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=0, max_value=10_000)
    # PostgreSQL's OFFSET is a bigint.
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=INT64_MAX)


def iso(dt: Any) -> str | None:
    return dt.isoformat() if dt else None
