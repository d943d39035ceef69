import uuid
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from apps.core.models import ScopedManager, TimestampedModel


class OnRunCompleted(models.TextChoices):
    DELETE = "delete"
    KEEP = "keep"


class PauseReason(models.TextChoices):
    NONE = ""
    FAILURES = "failures", "too many consecutive failed runs"
    MAX_RUNS = "max_runs", "max_runs reached"
    END_TIME = "end_time", "end_time passed"


class Cron(TimestampedModel):
    """A schedule that creates runs; mirrored into a django-celery-beat PeriodicTask named `cron:<id>`."""

    cron_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    assistant = models.ForeignKey("assistants.Assistant", on_delete=models.CASCADE, related_name="crons")
    # Null for a stateless cron: each firing gets a fresh thread.
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, null=True, blank=True, related_name="crons")
    schedule = models.CharField(max_length=255)
    timezone = models.CharField(max_length=64, default="UTC")
    payload = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    on_run_completed = models.CharField(max_length=8, choices=OnRunCompleted.choices, default=OnRunCompleted.DELETE)
    # Cost guards: a cron stops itself rather than burn money unattended.
    max_runs = models.PositiveIntegerField(null=True, blank=True)
    total_run_count = models.PositiveIntegerField(default=0)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_reason = models.CharField(max_length=16, choices=PauseReason.choices, default=PauseReason.NONE, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    next_run_date = models.DateTimeField(null=True, blank=True)
    user_id = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001 (upstream's field is nullable)

    objects = ScopedManager("crons")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # crons.search(metadata={...})
            GinIndex(fields=["metadata"], name="cron_metadata_gin"),
            # crons.search(assistant_id=..., enabled=...)
            models.Index(fields=["assistant", "enabled"], name="cron_assistant_enabled"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} ({self.cron_id})"

    @property
    def periodic_task_name(self) -> str:
        return f"cron:{self.cron_id}"

    @property
    def is_stateless(self) -> bool:
        return self.thread_id is None


class CronRun(models.Model):
    """One finished run of a cron, kept after the run (and its temporary thread) is deleted.

    Written when the run ends (apps/crons/history.py), pruned after CRON_HISTORY_DAYS.
    """

    run_id = models.UUIDField(primary_key=True)
    cron = models.ForeignKey(Cron, on_delete=models.CASCADE, related_name="history")
    # No foreign keys: the thread (and even the assistant) may be gone while the record stays.
    thread_id = models.UUIDField()
    assistant_id = models.UUIDField()
    status = models.CharField(max_length=16)
    metadata = models.JSONField(default=dict, blank=True)
    multitask_strategy = models.CharField(max_length=16, blank=True, default="")
    error = models.JSONField(null=True, blank=True)
    # The final values, summarised: the last message of a messages state, or the values cut to a size.
    output = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the cron's recent runs (admin, runs.search(metadata={"cron_id": ...}))
            models.Index(fields=["cron", "-created_at"], name="cronrun_cron_created"),
            # the retention sweep
            models.Index(fields=["created_at"], name="cronrun_created"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} ({self.status})"

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None

    # What runs.serializers.run_to_json reads from a Run and a record has no column for.
    @property
    def updated_at(self) -> Any:
        return self.ended_at or self.recorded_at

    @property
    def kwargs(self) -> dict[str, Any]:
        return {}  # the input is the cron's payload; not repeated per record
