import uuid

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
