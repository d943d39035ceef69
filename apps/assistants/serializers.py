from typing import Any

from rest_framework import serializers

from apps.assistants.models import Assistant, AssistantVersion
from apps.core.serializers import (
    MetadataFilterField,
    ObjectField,
    OrderByMixin,
    PageSerializer,
    SortOrderField,
    StrictSerializer,
    UUIDField,
    iso,
)


class AssistantCreateSerializer(StrictSerializer):
    assistant_id = UUIDField(required=False, allow_null=True)
    graph_id = serializers.CharField()
    config = ObjectField()
    context = ObjectField()
    metadata = ObjectField()
    if_exists = serializers.ChoiceField(choices=["raise", "do_nothing"], required=False, default="raise")
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class AssistantPatchSerializer(StrictSerializer):
    graph_id = serializers.CharField(required=False, allow_null=True)
    config = ObjectField()
    context = ObjectField()
    metadata = ObjectField()
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class AssistantSearchSerializer(OrderByMixin, PageSerializer):
    metadata = MetadataFilterField()
    graph_id = serializers.CharField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_null=True)
    sort_by = serializers.ChoiceField(
        choices=["assistant_id", "created_at", "updated_at", "name", "graph_id"], required=False, allow_null=True
    )
    sort_order = SortOrderField()
    select = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class AssistantCountSerializer(StrictSerializer):
    metadata = MetadataFilterField()
    graph_id = serializers.CharField(required=False, allow_null=True)
    name = serializers.CharField(required=False, allow_null=True)


class AssistantVersionsSerializer(PageSerializer):
    metadata = MetadataFilterField()


class SetLatestSerializer(StrictSerializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)  # an integer column


def assistant_to_json(assistant: Assistant) -> dict[str, Any]:
    return {
        "assistant_id": str(assistant.assistant_id),
        "graph_id": assistant.graph_id,
        "config": assistant.config,
        "context": assistant.context,
        "created_at": iso(assistant.created_at),
        "updated_at": iso(assistant.updated_at),
        "metadata": assistant.metadata,
        "version": assistant.version,
        "name": assistant.name,
        "description": assistant.description,
    }


def version_to_json(version: AssistantVersion) -> dict[str, Any]:
    return {
        "assistant_id": str(version.assistant_id),
        "graph_id": version.graph_id,
        "config": version.config,
        "context": version.context,
        "created_at": iso(version.created_at),
        "metadata": version.metadata,
        "version": version.version,
        "name": version.name,
        "description": version.description,
    }
