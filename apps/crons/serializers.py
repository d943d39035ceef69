from typing import Any

from rest_framework import serializers

from apps.core.serializers import (
    MetadataFilterField,
    OrderByMixin,
    PageSerializer,
    SortOrderField,
    StrictSerializer,
    UUIDField,
    iso,
)
from apps.crons.models import Cron
from apps.runs.models import MultitaskStrategy
from apps.runs.serializers import RunRequestFields


class CronRunFields(RunRequestFields):
    """What every run of the cron is created with, and the schedule's own settings."""

    enabled = serializers.BooleanField(required=False, allow_null=True)
    end_time = serializers.DateTimeField(required=False, allow_null=True)
    timezone = serializers.CharField(required=False, allow_null=True)
    # Stored in a PositiveIntegerField (a PostgreSQL integer).
    max_runs = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)


class CronCreateSerializer(CronRunFields):
    """POST /runs/crons (stateless)."""

    assistant_id = serializers.CharField()
    schedule = serializers.CharField()
    on_run_completed = serializers.ChoiceField(choices=["delete", "keep"], required=False, default="delete")


class ThreadCronCreateSerializer(CronRunFields):
    """POST /threads/{thread_id}/runs/crons."""

    assistant_id = serializers.CharField()
    schedule = serializers.CharField()
    multitask_strategy = serializers.ChoiceField(
        choices=MultitaskStrategy.choices, required=False, default=MultitaskStrategy.ENQUEUE
    )


class CronPatchSerializer(CronRunFields):
    schedule = serializers.CharField(required=False, allow_null=True)
    on_run_completed = serializers.ChoiceField(choices=["delete", "keep"], required=False, allow_null=True)


class CronSearchSerializer(OrderByMixin, PageSerializer):
    assistant_id = serializers.CharField(required=False, allow_null=True)
    thread_id = UUIDField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, allow_null=True)
    metadata = MetadataFilterField()
    sort_by = serializers.ChoiceField(
        choices=["cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"],
        required=False,
        allow_null=True,
    )
    sort_order = SortOrderField()
    select = serializers.ListField(child=serializers.CharField(), required=False, allow_null=True)


class CronCountSerializer(StrictSerializer):
    assistant_id = serializers.CharField(required=False, allow_null=True)
    thread_id = UUIDField(required=False, allow_null=True)
    enabled = serializers.BooleanField(required=False, allow_null=True)
    metadata = MetadataFilterField()


def cron_to_json(cron: Cron) -> dict[str, Any]:
    return {
        "cron_id": str(cron.cron_id),
        "assistant_id": str(cron.assistant_id),
        "thread_id": str(cron.thread_id) if cron.thread_id else None,
        "schedule": cron.schedule,
        "timezone": cron.timezone,
        "end_time": iso(cron.end_time),
        "created_at": iso(cron.created_at),
        "updated_at": iso(cron.updated_at),
        "user_id": cron.user_id,
        "payload": cron.payload,
        "next_run_date": iso(cron.next_run_date),
        "metadata": cron.metadata,
        "enabled": cron.enabled,
        "on_run_completed": cron.on_run_completed,
        # Cost guards (not in upstream)
        "max_runs": cron.max_runs,
        "total_run_count": cron.total_run_count,
        "consecutive_failures": cron.consecutive_failures,
        "paused_reason": cron.paused_reason or None,
        "last_run_at": iso(cron.last_run_at),
    }
