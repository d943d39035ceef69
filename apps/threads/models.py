import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from apps.core.models import ScopedManager, TimestampedModel


class ThreadStatus(models.TextChoices):
    IDLE = "idle"
    BUSY = "busy"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class Thread(TimestampedModel):
    """A conversation; its graph state lives in the checkpointer, keyed by thread_id."""

    thread_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    metadata = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ThreadStatus.choices, default=ThreadStatus.IDLE)
    values = models.JSONField(null=True, blank=True)
    interrupts = models.JSONField(default=dict, blank=True)
    state_updated_at = models.DateTimeField(null=True, blank=True)
    # Threads made for stateless runs are deleted when their run ends.
    is_temporary = models.BooleanField(default=False)

    objects = ScopedManager("threads")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # threads.search(metadata={...}) uses `metadata @> {...}`
            GinIndex(fields=["metadata"], name="thread_metadata_gin"),
            # threads.search(status=...) ordered by recency
            models.Index(fields=["status", "-created_at"], name="thread_status_created"),
        ]

    def __str__(self) -> str:
        return str(self.thread_id)

    @property
    def graph_id(self) -> str | None:
        return self.metadata.get("graph_id")
