"""A cron's run history: a record of each finished run, kept after the run is deleted.

A stateless cron's runs live on a temporary thread deleted when the run ends
(`on_run_completed="delete"`, upstream's default), which takes the run with it.
`record_cron_run` copies what an operator asks first (status, timings, error, a
summary of the output) before that happens; `POST /runs/search` with
`metadata={"cron_id": ...}` and the cron's admin page read it back, for
CRON_HISTORY_DAYS.
"""

import datetime
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.core.serializers import iso
from apps.crons.models import Cron, CronRun
from apps.runs.models import Run
from apps.runs.serializers import run_to_json
from apps.threads.services import get_thread_values

logger = logging.getLogger(__name__)

# Characters of output kept per run: enough to see what the agent answered.
OUTPUT_SUMMARY_CHARS = 2000


def record_cron_run(run: Run) -> CronRun | None:
    """Record (or update) the history entry of a cron's run that just ended; None for other runs.

    Reads the run's final row and its thread's final values, so call it before a
    temporary thread is deleted. Never raises for a cron deleted meanwhile.
    """
    cron_id = (run.metadata or {}).get("cron_id")
    if not cron_id:
        return None
    # The caller's object may predate the terminal UPDATE: the row has the final status.
    final = Run.objects.filter(pk=run.pk).first() or run
    values = get_thread_values(final.thread_id)
    defaults = {
        "cron_id": cron_id,
        "thread_id": final.thread_id,
        "assistant_id": final.assistant_id,
        "status": final.status,
        "metadata": final.metadata,
        "multitask_strategy": final.multitask_strategy,
        "error": final.error,
        "output": None if final.error else summarize_output(values),
        "created_at": final.created_at,
        "started_at": final.started_at,
        "ended_at": final.ended_at or timezone.now(),
    }
    try:
        with transaction.atomic():
            record, _ = CronRun.objects.update_or_create(run_id=final.run_id, defaults=defaults)
    except IntegrityError:  # the cron was deleted while its run was executing
        logger.info("cron %s is gone: run %s not recorded in its history", cron_id, final.run_id)
        return None
    return record


def summarize_output(values: Any) -> Any:
    """The last message of a messages state (its text cut to size), else the values if small, else a preview."""
    if values is None:
        return None
    if isinstance(values, dict) and isinstance(values.get("messages"), list) and values["messages"]:
        last = values["messages"][-1]
        if isinstance(last, dict):
            content = last.get("content")
            text = content if isinstance(content, str) else json.dumps(content, default=str)
            return {"messages": [{"type": last.get("type"), "content": text[:OUTPUT_SUMMARY_CHARS]}]}
    text = json.dumps(values, default=str)
    if len(text) <= OUTPUT_SUMMARY_CHARS:
        return values
    return {"__truncated__": text[:OUTPUT_SUMMARY_CHARS]}


def prune_history(now: datetime.datetime | None = None) -> int:
    """Delete records older than CRON_HISTORY_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.CRON_HISTORY_DAYS)
    deleted, _ = CronRun.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def record_to_run_json(record: CronRun) -> dict[str, Any]:
    """A record in the shape of a Run (runs.serializers.run_to_json), plus what only history has."""
    return {
        **run_to_json(record),
        "started_at": iso(record.started_at),
        "ended_at": iso(record.ended_at),
        "error": record.error,
        "output": record.output,
    }


def search_history(filters: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The archive source for POST /runs/search: records visible to the caller, newest first.

    Only a search naming a cron (metadata.cron_id) reads the history: other searches
    are about live runs, and a cron's records all carry its id.
    """
    metadata = filters.get("metadata") or {}
    cron_id = metadata.get("cron_id")
    if not cron_id:
        return []
    try:
        cron_uuid = uuid.UUID(str(cron_id))
    except ValueError:
        return []
    # Cron.objects applies the caller's custom-auth filter: its history is visible to whoever sees the cron.
    queryset = CronRun.objects.filter(cron__in=Cron.objects.filter(pk=cron_uuid).values("pk"))
    queryset = queryset.filter(metadata__contains=metadata)
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("thread_id"):
        queryset = queryset.filter(thread_id=filters["thread_id"])
    if filters.get("assistant_id"):
        from apps.assistants.services import resolve_assistant

        queryset = queryset.filter(assistant_id=resolve_assistant(str(filters["assistant_id"])).assistant_id)
    return [record_to_run_json(record) for record in queryset.order_by("-created_at")[:limit]]
