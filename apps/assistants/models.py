import uuid

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from apps.core.models import ScopedManager, TimestampedModel


class Assistant(TimestampedModel):
    """A graph plus configuration; every patch writes a new AssistantVersion."""

    assistant_id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    graph_id = models.CharField(max_length=255, db_index=True)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(null=True, blank=True)  # noqa: DJ001 (the API distinguishes null from "")
    config = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ScopedManager("assistants")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # assistants.search(metadata={...}) uses `metadata @> {...}`
            GinIndex(fields=["metadata"], name="assistant_metadata_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.graph_id} ({self.assistant_id})"

    @property
    def is_system_default(self) -> bool:
        return bool(self.metadata.get("created_by") == "system")


class AssistantVersion(models.Model):
    """A frozen copy of an assistant's settings at one version."""

    assistant = models.ForeignKey(Assistant, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    graph_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True, default="")
    description = models.TextField(null=True, blank=True)  # noqa: DJ001 (the API distinguishes null from "")
    config = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["assistant", "version"], name="assistant_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.assistant_id} v{self.version}"
