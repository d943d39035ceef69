from typing import Any

from rest_framework import serializers

from apps.core.serializers import AnyJSONField, ObjectField, PageSerializer, SortOrderField, StrictSerializer, iso
from apps.threads.models import Thread, ThreadStatus


class ThreadCreateSerializer(StrictSerializer):
    thread_id = serializers.UUIDField(required=False, allow_null=True)
    metadata = ObjectField()
    if_exists = serializers.ChoiceField(choices=["raise", "do_nothing"], required=False, default="raise")
    ttl = ObjectField()
    supersteps = serializers.ListField(required=False, allow_null=True)

    def validate_ttl(self, value: Any) -> Any:
        if value:
            raise serializers.ValidationError("thread TTL is not supported yet")
        return value

    def validate_supersteps(self, value: Any) -> Any:
        if value:
            raise serializers.ValidationError("creating a thread from supersteps is not supported yet")
        return value


class ThreadPatchSerializer(StrictSerializer):
    metadata = ObjectField()
    ttl = ObjectField()

    def validate_ttl(self, value: Any) -> Any:
        if value:
            raise serializers.ValidationError("thread TTL is not supported yet")
        return value


class ThreadSearchSerializer(PageSerializer):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, allow_null=True)
    metadata = ObjectField()
    values = ObjectField()
    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False, allow_null=True)
    sort_by = serializers.ChoiceField(
        choices=["thread_id", "status", "created_at", "updated_at", "state_updated_at"],
        required=False,
        allow_null=True,
    )
    sort_order = SortOrderField()
    select = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)
    extract = ObjectField()

    def validate_extract(self, value: Any) -> Any:
        if value:
            raise serializers.ValidationError("extract is not supported yet")
        return value


class ThreadCountSerializer(StrictSerializer):
    metadata = ObjectField()
    values = ObjectField()
    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False, allow_null=True)


class ThreadHistorySerializer(StrictSerializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000)
    before = serializers.JSONField(required=False, allow_null=True)
    metadata = ObjectField()
    checkpoint = ObjectField()


def thread_to_json(thread: Thread) -> dict[str, Any]:
    return {
        "thread_id": str(thread.thread_id),
        "created_at": iso(thread.created_at),
        "updated_at": iso(thread.updated_at),
        "state_updated_at": iso(thread.state_updated_at or thread.updated_at),
        "metadata": thread.metadata,
        "config": thread.config,
        "status": thread.status,
        "values": thread.values,
        "interrupts": thread.interrupts,
    }


class ThreadStateUpdateSerializer(StrictSerializer):
    values = AnyJSONField()
    as_node = serializers.CharField(required=False, allow_null=True)
    checkpoint = ObjectField()
    checkpoint_id = serializers.CharField(required=False, allow_null=True)  # deprecated by upstream, still sent


class ThreadStateCheckpointSerializer(StrictSerializer):
    checkpoint = serializers.DictField()
    subgraphs = serializers.BooleanField(required=False, default=False)
