"""Request bodies of the store endpoints (upstream's StorePutRequest, StoreSearchRequest, ...)."""

from typing import Any

from rest_framework import serializers

from apps.core.serializers import PageSerializer, StrictSerializer
from apps.store.parsing import contains_nul

# Bounds that keep values inside PostgreSQL's integer columns and interval arithmetic.
MAX_TTL_MIN = 100 * 365 * 24 * 60
# The store writes a TTL as "<minutes * 60> seconds"; below this Python would format it in exponent notation.
MIN_TTL_MIN = 0.001
MAX_OFFSET = 2**31 - 1
MAX_DEPTH = 1000


class LabelField(serializers.CharField):
    """A namespace label: a JSON string as sent (no number coerced to text, no whitespace trimmed)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise serializers.ValidationError("must be a string")
        return data


def namespace_field(**kwargs: Any) -> serializers.ListField:
    # Label rules ('.' and '' are refused) are checked by the service, before and after auth handlers.
    return serializers.ListField(child=LabelField(), **kwargs)


class JSONObjectField(serializers.DictField):
    """A JSON object, stored as jsonb: no NUL characters anywhere in it."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        value = super().to_internal_value(data)
        if contains_nul(value):
            raise serializers.ValidationError("null characters are not allowed")
        return value


class IndexField(serializers.Field):
    """`false` (do not index), a list of JSON paths to index, or null (the store's `fields`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if data is False or (isinstance(data, list) and all(isinstance(p, str) and p for p in data)):
            return data
        raise serializers.ValidationError("must be false, null or a list of field paths")

    def to_representation(self, value: Any) -> Any:
        return value


class StrictBooleanField(serializers.BooleanField):
    """JSON true/false/null only."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            raise serializers.ValidationError("must be true or false")
        return data


class TTLField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        minutes = super().to_internal_value(data)
        if 0 < minutes < MIN_TTL_MIN:
            raise serializers.ValidationError(f"must be 0 or at least {MIN_TTL_MIN} minutes")
        return minutes


class PutItemSerializer(StrictSerializer):
    namespace = namespace_field()
    key = serializers.CharField(allow_blank=True, trim_whitespace=False)
    value = JSONObjectField()
    index = IndexField()
    # Minutes; absent means the store's default_ttl, null means never expires.
    ttl = TTLField(required=False, allow_null=True, min_value=0, max_value=MAX_TTL_MIN)


class DeleteItemSerializer(StrictSerializer):
    namespace = namespace_field(required=False, default=list)
    key = serializers.CharField(allow_blank=True, trim_whitespace=False)


class SearchItemsSerializer(PageSerializer):
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
    namespace_prefix = namespace_field(required=False, allow_null=True, default=list)
    filter = JSONObjectField(required=False, allow_null=True, default=None)
    query = serializers.CharField(required=False, allow_null=True, allow_blank=True, default=None)
    refresh_ttl = StrictBooleanField(required=False, allow_null=True, default=None)


class ListNamespacesSerializer(PageSerializer):
    prefix = namespace_field(required=False, allow_null=True, default=None)
    suffix = namespace_field(required=False, allow_null=True, default=None)
    max_depth = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=MAX_DEPTH
    )
    limit = serializers.IntegerField(required=False, default=100, min_value=0, max_value=10_000)
    offset = serializers.IntegerField(required=False, default=0, min_value=0, max_value=MAX_OFFSET)
