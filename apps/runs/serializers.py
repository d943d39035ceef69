import logging
from typing import Any

from rest_framework import serializers

from apps.core.serializers import (
    AnyJSONField,
    CheckpointField,
    CheckpointIdField,
    MetadataFilterField,
    ObjectField,
    PageSerializer,
    StrictSerializer,
    UUIDField,
    iso,
)
from apps.runs.models import MultitaskStrategy, Run, RunStatus
from apps.runs.webhooks import WebhookRefused
from apps.runs.webhooks import check_url as check_webhook_url

logger = logging.getLogger(__name__)

# 100 years: a later start would overflow the datetime it is stored as.
MAX_AFTER_SECONDS = 100 * 365 * 24 * 3600
STREAM_MODES = ["values", "updates", "messages", "messages-tuple", "custom", "debug", "tasks", "checkpoints", "events"]


class StreamModeField(serializers.Field):
    """`"values"` or `["values", "updates"]`; always returned as a de-duplicated list."""

    def to_internal_value(self, data: Any) -> list[str]:
        modes = [data] if isinstance(data, str) else data
        if not isinstance(modes, list) or not all(isinstance(m, str) for m in modes):
            raise serializers.ValidationError("must be a stream mode or a list of stream modes")
        for mode in modes:
            if mode not in STREAM_MODES:
                raise serializers.ValidationError(f"unknown stream mode {mode!r}; expected one of {STREAM_MODES}")
        return list(dict.fromkeys(modes))

    def to_representation(self, value: Any) -> Any:
        return value


class InterruptNodesField(serializers.Field):
    def to_internal_value(self, data: Any) -> Any:
        if data == "*" or (isinstance(data, list) and all(isinstance(n, str) for n in data)):
            return data
        raise serializers.ValidationError('must be "*" or a list of node names')

    def to_representation(self, value: Any) -> Any:
        return value


_ignored_logged: set[str] = set()


def accepted_and_ignored(name: str, why: str) -> Any:
    """A field upstream accepts that has no effect here: accepted, and said once per process."""

    def validate(self: Any, value: Any) -> Any:
        if value not in (None, False, [], {}) and name not in _ignored_logged:
            _ignored_logged.add(name)
            logger.warning("run field %s accepted and ignored: %s", name, why)
        return value

    return validate


class RunRequestFields(StrictSerializer):
    """What a run is created with: shared by the run endpoints and by crons (which create runs)."""

    input = AnyJSONField()
    metadata = ObjectField()
    config = ObjectField()
    context = ObjectField()
    webhook = serializers.CharField(required=False, allow_null=True)
    interrupt_before = InterruptNodesField(required=False, allow_null=True)
    interrupt_after = InterruptNodesField(required=False, allow_null=True)
    stream_mode = StreamModeField(required=False, allow_null=True)
    stream_subgraphs = serializers.BooleanField(required=False, default=False)
    stream_resumable = serializers.BooleanField(required=False, default=False)
    durability = serializers.ChoiceField(choices=["sync", "async", "exit"], required=False, allow_null=True)
    checkpoint_during = serializers.BooleanField(required=False, allow_null=True)

    def validate_webhook(self, value: str | None) -> str | None:
        # Checked again at delivery: what a host resolves to may change (DNS rebinding).
        if value is not None:
            try:
                check_webhook_url(value)
            except WebhookRefused as exc:
                raise serializers.ValidationError(str(exc)) from exc
        return value


class RunCreateSerializer(RunRequestFields):
    """The body of every run-creating endpoint (stateful and stateless)."""

    assistant_id = serializers.CharField()
    command = ObjectField()
    checkpoint = CheckpointField()
    checkpoint_id = CheckpointIdField()
    feedback_keys = serializers.ListField(required=False, allow_null=True)
    multitask_strategy = serializers.ChoiceField(
        choices=MultitaskStrategy.choices, required=False, default=MultitaskStrategy.ENQUEUE
    )
    if_not_exists = serializers.ChoiceField(choices=["create", "reject"], required=False, default="reject")
    on_disconnect = serializers.ChoiceField(choices=["cancel", "continue"], required=False, allow_null=True)
    on_completion = serializers.ChoiceField(choices=["delete", "keep"], required=False, allow_null=True)
    after_seconds = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=MAX_AFTER_SECONDS)
    strict_resume = serializers.BooleanField(required=False, allow_null=True)
    langsmith_tracer = ObjectField()

    validate_feedback_keys = accepted_and_ignored("feedback_keys", "LangSmith feedback URLs are not issued")
    validate_langsmith_tracer = accepted_and_ignored("langsmith_tracer", "runs are not traced to LangSmith")
    validate_strict_resume = accepted_and_ignored("strict_resume", "a resume is checked as a plain Command")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("input") is not None and attrs.get("command"):
            raise serializers.ValidationError({"command": "give either input or command, not both"})
        if attrs.get("checkpoint_during") is not None and not attrs.get("durability"):
            attrs["durability"] = "async" if attrs["checkpoint_during"] else "exit"
        return attrs


class RunSearchSerializer(PageSerializer):
    metadata = MetadataFilterField()
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False, allow_null=True)
    assistant_id = serializers.CharField(required=False, allow_null=True)
    thread_id = UUIDField(required=False, allow_null=True)


RUN_FIELDS = [
    "run_id",
    "thread_id",
    "assistant_id",
    "created_at",
    "updated_at",
    "status",
    "metadata",
    "kwargs",
    "multitask_strategy",
    "langsmith_session_name",
]


class RunListSerializer(PageSerializer):
    status = serializers.ChoiceField(choices=RunStatus.choices, required=False, allow_null=True)
    select = serializers.ListField(child=serializers.ChoiceField(choices=RUN_FIELDS), required=False)


def run_to_json(run: Run) -> dict[str, Any]:
    return {
        "run_id": str(run.run_id),
        "thread_id": str(run.thread_id),
        "assistant_id": str(run.assistant_id),
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "status": run.status,
        "metadata": run.metadata,
        # The creator's identity stays server-side (graph factories' ServerRuntime.user).
        "kwargs": {key: value for key, value in run.kwargs.items() if key != "auth_user"},
        "multitask_strategy": run.multitask_strategy,
        "langsmith_session_name": None,  # upstream's field; runs are not traced to LangSmith
    }


class CancelQuerySerializer(StrictSerializer):
    wait = serializers.BooleanField(required=False, default=False)
    action = serializers.ChoiceField(choices=["interrupt", "rollback"], required=False, default="interrupt")


class BulkCancelSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=["pending", "running", "all"], required=False, allow_null=True)
    thread_id = UUIDField(required=False, allow_null=True)
    run_ids = serializers.ListField(child=UUIDField(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        by_status = attrs.get("status") is not None
        by_ids = attrs.get("thread_id") is not None and attrs.get("run_ids") is not None
        if by_status == by_ids:
            raise serializers.ValidationError("give either status, or thread_id with run_ids")
        return attrs
