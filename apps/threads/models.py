import datetime
import uuid
from typing import Any

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from apps.core.models import ScopedManager, TimestampedModel
from apps.graphs.config import get_config


class ThreadStatus(models.TextChoices):
    IDLE = "idle"
    BUSY = "busy"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class TTLStrategy(models.TextChoices):
    DELETE = "delete"  # the thread, its runs and its checkpoints go
    KEEP_LATEST = "keep_latest"  # only the latest checkpoint (the current state) stays


class Thread(TimestampedModel):
    """A conversation; its graph state lives in the checkpointer, keyed by thread_id."""

    thread_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    metadata = models.JSONField(default=dict, blank=True)
    config = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=ThreadStatus.choices, default=ThreadStatus.IDLE)
    values = models.JSONField(null=True, blank=True)
    interrupts = models.JSONField(default=dict, blank=True)
    # The last run's error ({"error": type, "message": ...}), null once a run succeeds: as upstream's thread.
    error = models.JSONField(null=True, blank=True)
    state_updated_at = models.DateTimeField(null=True, blank=True)
    # Threads made for stateless runs are deleted when their run ends.
    is_temporary = models.BooleanField(default=False)
    # Time-to-live in minutes, counted from the last activity (`updated_at`: creation, update,
    # run); an idle thread past it is swept (apps/threads/retention.py).
    ttl_minutes = models.FloatField(null=True, blank=True)
    ttl_strategy = models.CharField(max_length=16, choices=TTLStrategy.choices, default=TTLStrategy.DELETE)

    objects = ScopedManager("threads")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # threads.search(metadata={...}) uses `metadata @> {...}`
            GinIndex(fields=["metadata"], name="thread_metadata_gin"),
            # threads.search(status=...) ordered by recency
            models.Index(fields=["status", "-created_at"], name="thread_status_created"),
            # the TTL sweep: threads with a TTL, by last activity
            models.Index(fields=["updated_at"], condition=Q(ttl_minutes__isnull=False), name="thread_ttl_updated"),
        ]

    def __str__(self) -> str:
        return str(self.thread_id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # langgraph.json's checkpointer.ttl.default_ttl applies to threads created from now on
        # (not a field default: a migration would evaluate that for every existing row).
        # Only langgraph.json itself is read here: loading the graphs would import user code.
        if self._state.adding and self.ttl_minutes is None:
            ttl = get_config().checkpoint_ttl
            if ttl.default_ttl is not None:
                self.ttl_minutes, self.ttl_strategy = ttl.default_ttl, ttl.strategy
        super().save(*args, **kwargs)

    @property
    def ttl_expires_at(self) -> datetime.datetime | None:
        if self.ttl_minutes is None or self.updated_at is None:
            return None
        return self.updated_at + datetime.timedelta(minutes=self.ttl_minutes)

    @property
    def graph_id(self) -> str | None:
        return self.metadata.get("graph_id")
