import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from apps.core.models import ScopedManager, TimestampedModel


class RunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


TERMINAL_STATUSES = frozenset({RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.TIMEOUT, RunStatus.INTERRUPTED})
IN_FLIGHT_STATUSES = frozenset({RunStatus.PENDING, RunStatus.RUNNING})


class MultitaskStrategy(models.TextChoices):
    REJECT = "reject"
    ROLLBACK = "rollback"
    INTERRUPT = "interrupt"
    ENQUEUE = "enqueue"


class Run(TimestampedModel):
    """One execution of an assistant on a thread (stateless runs get a temporary thread)."""

    run_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    thread = models.ForeignKey("threads.Thread", on_delete=models.CASCADE, related_name="runs")
    assistant = models.ForeignKey("assistants.Assistant", on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    metadata = models.JSONField(default=dict, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    multitask_strategy = models.CharField(
        max_length=16, choices=MultitaskStrategy.choices, default=MultitaskStrategy.ENQUEUE
    )
    error = models.JSONField(null=True, blank=True)
    # For operators (the admin); the API shows `error` only, as upstream does.
    traceback = models.TextField(blank=True, default="")
    attempt = models.PositiveIntegerField(default=0)
    # Set at claim and renewed by the executing worker's heartbeat; a running run
    # whose lease lapsed lost its worker and is re-dispatched by the sweeper.
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # after_seconds: a pending run is not claimed before this time.
    not_before = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    # A run is visible to whoever may see its thread.
    objects = ScopedManager("threads", metadata_path="thread__metadata")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # next pending run of a thread (oldest first) and runs.list(thread)
            models.Index(fields=["thread", "status", "created_at"], name="run_thread_status_created"),
            models.Index(fields=["thread", "-created_at"], name="run_thread_created"),
            # runs.search(metadata={...})
            GinIndex(fields=["metadata"], name="run_metadata_gin"),
            # operators / the sweeper looking at in-flight runs
            models.Index(fields=["status", "created_at"], name="run_status_created"),
            # the sweeper: running runs whose lease lapsed
            models.Index(fields=["status", "lease_expires_at"], name="run_status_lease"),
            # the admin dashboard: p50/p95 duration of runs ended over the last day
            # (apps/runs/overview.py run_durations), an index-only range scan
            models.Index(fields=["ended_at"], include=["started_at"], name="run_ended_started"),
        ]
        constraints = [
            # Backs the per-thread Redis lock: even a lost lock cannot give a
            # thread two runs executing at once.
            models.UniqueConstraint(
                fields=["thread"], condition=Q(status="running"), name="one_running_run_per_thread"
            ),
        ]

    def __str__(self) -> str:
        return str(self.run_id)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.ended_at:
            return (self.ended_at - self.started_at).total_seconds()
        return None
