"""Serializer bits every app shares: strict bodies, upstream's search paging."""

from typing import Any

from rest_framework import serializers

from agentplatform.compat import ReusedFieldsSerializer


class StrictSerializer(ReusedFieldsSerializer):
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


class SortOrderField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(choices=["asc", "desc"], **kwargs)


class PageSerializer(StrictSerializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=0, max_value=10_000)
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


def iso(dt: Any) -> str | None:
    return dt.isoformat() if dt else None
