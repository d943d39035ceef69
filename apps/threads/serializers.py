from typing import Any

from rest_framework import serializers

from apps.core.serializers import (
    AnyJSONField,
    CheckpointField,
    CheckpointIdField,
    MetadataFilterField,
    ObjectField,
    OrderByMixin,
    PageSerializer,
    SortOrderField,
    StrictSerializer,
    UUIDField,
    check_checkpoint_id,
    iso,
)
from apps.threads.models import Thread, ThreadStatus, TTLStrategy

# 100 years, a generous cap: an unbounded ttl would overflow `updated_at + ttl` (datetime, SQL interval).
MAX_TTL_MINUTES = 100 * 365 * 24 * 60


class TTLField(serializers.Field):
    """`{"ttl": <minutes>, "strategy": "delete" | "keep_latest"}` (the SDK turns an int into that)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> dict[str, Any] | None:
        if isinstance(data, int | float) and not isinstance(data, bool):
            data = {"ttl": data}
        if not isinstance(data, dict):
            raise serializers.ValidationError('must be an object like {"strategy": "delete", "ttl": 60}')
        unknown = sorted(set(data) - {"ttl", "strategy"})
        if unknown:
            raise serializers.ValidationError(f"unknown field(s) {unknown}")
        if not data:
            return None
        minutes, strategy = data.get("ttl"), data.get("strategy") or TTLStrategy.DELETE
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or not 0 < minutes <= MAX_TTL_MINUTES:
            raise serializers.ValidationError(f"ttl: must be a positive number of minutes, at most {MAX_TTL_MINUTES}")
        if strategy not in TTLStrategy.values:
            raise serializers.ValidationError(f"strategy: must be one of {TTLStrategy.values}, got {strategy!r}")
        return {"ttl_minutes": float(minutes), "ttl_strategy": strategy}

    def to_representation(self, value: Any) -> Any:
        return value


def ttl_json(thread: Thread) -> dict[str, Any] | None:
    """The thread's TTL as GET /threads/{id}?include=ttl shows it; None without one."""
    if thread.ttl_minutes is None:
        return None
    expires_at = thread.ttl_expires_at
    return {
        "strategy": thread.ttl_strategy,
        "ttl_minutes": thread.ttl_minutes,
        "expires_at": expires_at.isoformat() if expires_at else None,
    }


class StateUpdateSerializer(StrictSerializer):
    values = AnyJSONField()
    as_node = serializers.CharField(required=False, allow_null=True)
    command = ObjectField()

    def validate_command(self, value: Any) -> Any:
        if value and not set(value) <= {"resume", "update", "goto"}:
            raise serializers.ValidationError(f"unknown key(s) {sorted(set(value) - {'resume', 'update', 'goto'})}")
        return value


class SuperstepSerializer(StrictSerializer):
    updates = serializers.ListField(child=StateUpdateSerializer(), allow_empty=False)


class ThreadCreateSerializer(StrictSerializer):
    thread_id = UUIDField(required=False, allow_null=True)
    metadata = ObjectField()
    if_exists = serializers.ChoiceField(choices=["raise", "do_nothing"], required=False, default="raise")
    ttl = TTLField()
    supersteps = serializers.ListField(child=SuperstepSerializer(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("supersteps") and not (attrs.get("metadata") or {}).get("graph_id"):
            raise serializers.ValidationError({"supersteps": "need the thread's graph: set metadata.graph_id"})
        return attrs


class ThreadPatchSerializer(StrictSerializer):
    metadata = ObjectField()
    ttl = TTLField()


class ThreadPruneSerializer(StrictSerializer):
    thread_ids = serializers.ListField(child=UUIDField(), max_length=10_000)
    strategy = serializers.ChoiceField(choices=TTLStrategy.choices, required=False, default=TTLStrategy.DELETE)


EXTRACT_ROOTS = {"values", "metadata", "config", "interrupts"}


class ThreadSearchSerializer(OrderByMixin, PageSerializer):
    ids = serializers.ListField(child=UUIDField(), required=False, allow_null=True)
    metadata = MetadataFilterField()
    values = MetadataFilterField()
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
        if not value:
            return value
        if len(value) > 10:
            raise serializers.ValidationError("at most 10 paths")
        for alias, path in value.items():
            if not isinstance(path, str) or path.split(".", 1)[0].split("[", 1)[0] not in EXTRACT_ROOTS:
                raise serializers.ValidationError(f"{alias}: a path starting with one of {sorted(EXTRACT_ROOTS)}")
        return value


class ThreadCountSerializer(StrictSerializer):
    metadata = MetadataFilterField()
    values = MetadataFilterField()
    status = serializers.ChoiceField(choices=ThreadStatus.choices, required=False, allow_null=True)


class ThreadHistorySerializer(StrictSerializer):
    limit = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000)
    before = serializers.JSONField(required=False, allow_null=True)
    metadata = ObjectField()
    checkpoint = CheckpointField()

    def validate_before(self, value: Any) -> Any:
        """A checkpoint id, or a CheckpointConfig (`{"checkpoint_id": ...}`, or one under `configurable`)."""
        if value is None:
            return value
        if isinstance(value, dict):
            config = value.get("configurable", value)
            if isinstance(config, dict) and config.get("checkpoint_id") is not None:
                check_checkpoint_id(config["checkpoint_id"], "checkpoint_id")
            return value
        if isinstance(value, str):
            check_checkpoint_id(value)
            return value
        raise serializers.ValidationError("must be a checkpoint id or a checkpoint object")


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
        "error": thread.error,
        "interrupts": thread.interrupts,
    }


class ThreadStateUpdateSerializer(StrictSerializer):
    values = AnyJSONField()
    as_node = serializers.CharField(required=False, allow_null=True)
    checkpoint = CheckpointField()
    checkpoint_id = CheckpointIdField()  # deprecated by upstream, still sent


class ThreadStateCheckpointSerializer(StrictSerializer):
    checkpoint = CheckpointField(required=True, allow_null=False)
    subgraphs = serializers.BooleanField(required=False, default=False)


class ThreadCopySerializer(StrictSerializer):
    """POST /threads/{id}/copy takes no body (upstream's has none): any field in one is unknown."""
