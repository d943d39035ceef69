"""Crons: rows mirrored into django-celery-beat, fired through the runs service.

Each Cron has one PeriodicTask named `cron:<cron_id>` (kwargs `{"cron_id": ...}`)
on a shared CrontabSchedule in the cron's time zone; both are written in the
same transaction as the Cron, so beat never sees a half-made cron.
"""

import datetime
import json
import logging
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from apps.assistants.services import resolve_assistant
from apps.core.errors import InvalidInput, NotFound
from apps.core.queries import apply_sort
from apps.crons.history import record_cron_run
from apps.crons.models import Cron, PauseReason
from apps.crons.schedule import CronSchedule
from apps.runs.models import Run, RunStatus
from apps.runs.services import create_run
from apps.threads.models import Thread

logger = logging.getLogger(__name__)

FIRE_TASK = "crons.fire"
# Request fields that become the payload of every run the cron creates.
RUN_FIELDS = (
    "input",
    "config",
    "context",
    "metadata",
    "interrupt_before",
    "interrupt_after",
    "stream_mode",
    "stream_subgraphs",
    "stream_resumable",
    "durability",
    "multitask_strategy",
    "webhook",
)


def _check_end_time(end_time: datetime.datetime | None) -> None:
    if end_time is not None and end_time <= timezone.now():
        raise InvalidInput(f"end_time: {end_time.isoformat()} is in the past")


def create_cron(body: dict[str, Any], thread_id: uuid.UUID | None = None) -> Cron:
    """Create a cron (on a thread, or stateless). Raises InvalidInput, NotFound; stores nothing then."""
    schedule = CronSchedule.parse(body["schedule"], body.get("timezone"))
    _check_end_time(body.get("end_time"))
    assistant = resolve_assistant(body["assistant_id"])
    if thread_id is not None and not Thread.objects.filter(pk=thread_id).exists():
        raise NotFound(f"Thread with ID {thread_id} not found")
    with transaction.atomic():
        cron = Cron(
            assistant=assistant,
            thread_id=thread_id,
            schedule=schedule.expression,
            timezone=schedule.timezone,
            payload={key: body[key] for key in RUN_FIELDS if body.get(key) is not None},
            metadata=body.get("metadata") or {},
            end_time=body.get("end_time"),
            enabled=body.get("enabled", True),
            on_run_completed=body.get("on_run_completed") or "delete",
            max_runs=body.get("max_runs"),
        )
        cron.next_run_date = schedule.next_after(timezone.now())
        cron.save()
        sync_periodic_task(cron)
    return cron


def get_cron(cron_id: uuid.UUID) -> Cron:
    try:
        return Cron.objects.get(pk=cron_id)
    except Cron.DoesNotExist as exc:
        raise NotFound(f"Cron with ID {cron_id} not found") from exc


def patch_cron(cron_id: uuid.UUID, changes: dict[str, Any]) -> Cron:
    """Apply changes and update the periodic task at once. Raises NotFound, InvalidInput."""
    with transaction.atomic():
        cron = Cron.objects.select_for_update().filter(pk=cron_id).first()
        if cron is None:
            raise NotFound(f"Cron with ID {cron_id} not found")
        schedule = CronSchedule.parse(
            changes.get("schedule") or cron.schedule, changes.get("timezone") or cron.timezone
        )
        cron.schedule, cron.timezone = schedule.expression, schedule.timezone
        if "end_time" in changes:
            _check_end_time(changes["end_time"])
            cron.end_time = changes["end_time"]
        for field in ("on_run_completed", "max_runs"):
            if changes.get(field) is not None:
                setattr(cron, field, changes[field])
        if changes.get("metadata") is not None:
            cron.metadata = {**cron.metadata, **changes["metadata"]}
        cron.payload = {**cron.payload, **{k: changes[k] for k in RUN_FIELDS if changes.get(k) is not None}}
        if changes.get("enabled") is not None:
            cron.enabled = changes["enabled"]
            if cron.enabled:  # resuming clears the guards that paused it
                cron.paused_reason, cron.consecutive_failures = PauseReason.NONE, 0
        cron.next_run_date = schedule.next_after(timezone.now()) if cron.enabled else None
        cron.save()
        sync_periodic_task(cron)
    return cron


def delete_cron(cron_id: uuid.UUID) -> None:
    """Delete the cron and its periodic task (never the shared CrontabSchedule). Raises NotFound."""
    with transaction.atomic():
        cron = get_cron(cron_id)
        PeriodicTask.objects.filter(name=cron.periodic_task_name).delete()
        cron.delete()


def sync_periodic_task(cron: Cron) -> PeriodicTask:
    """Create or update the cron's PeriodicTask (the row celery beat's DatabaseScheduler reads)."""
    schedule = CronSchedule(cron.schedule, cron.timezone)
    crontab, _ = CrontabSchedule.objects.get_or_create(**schedule.crontab_fields(), timezone=cron.timezone)
    task, _ = PeriodicTask.objects.update_or_create(
        name=cron.periodic_task_name,
        defaults={
            "task": FIRE_TASK,
            "crontab": crontab,
            "interval": None,
            "kwargs": json.dumps({"cron_id": str(cron.cron_id)}),
            "enabled": cron.enabled,
            "expires": cron.end_time,
            "queue": settings.RUNS_QUEUE,
            "description": f"Agent Server cron {cron.cron_id} (managed by the crons app)",
        },
    )
    return task


def _filtered(assistant_id=None, thread_id=None, enabled=None, metadata=None) -> QuerySet:
    queryset = Cron.objects.all()
    if assistant_id:
        queryset = queryset.filter(assistant_id=resolve_assistant(str(assistant_id)).assistant_id)
    if thread_id:
        queryset = queryset.filter(thread_id=thread_id)
    if enabled is not None:
        queryset = queryset.filter(enabled=enabled)
    if metadata:
        queryset = queryset.filter(metadata__contains=metadata)
    return queryset


def search_crons(
    *, limit: int = 10, offset: int = 0, sort_by: str | None = None, sort_order: str | None = None, **filters: Any
) -> list[Cron]:
    filters.pop("select", None)
    queryset = apply_sort(_filtered(**filters), sort_by, sort_order)
    return list(queryset[offset : offset + limit])


def count_crons(**filters: Any) -> int:
    return _filtered(**filters).count()


# ---------------------------------------------------------------- firing (beat → worker)


def fire_cron(cron_id: str) -> uuid.UUID | None:
    """Create the cron's run through the same service as the API; returns the run id.

    Idempotent in effect: a disabled, expired or exhausted cron creates nothing
    (and disables itself if beat still had it scheduled).
    """
    now = timezone.now()
    cron = Cron.objects.filter(pk=cron_id).select_related("assistant").first()
    if cron is None or not cron.enabled:
        return None
    if cron.end_time is not None and cron.end_time <= now:
        _pause(cron, PauseReason.END_TIME)
        return None
    run = create_run(_run_payload(cron), cron.thread_id)
    Cron.objects.filter(pk=cron.pk).update(
        total_run_count=F("total_run_count") + 1,
        last_run_at=now,
        next_run_date=CronSchedule(cron.schedule, cron.timezone).next_after(now),
    )
    cron.refresh_from_db()
    if cron.max_runs is not None and cron.total_run_count >= cron.max_runs:
        _pause(cron, PauseReason.MAX_RUNS)
    return run.run_id


def _run_payload(cron: Cron) -> dict[str, Any]:
    """Every run a cron creates carries cron_id in its metadata and its configurable."""
    payload = dict(cron.payload)
    cron_id = str(cron.cron_id)
    payload["assistant_id"] = str(cron.assistant_id)
    payload["metadata"] = {**payload.get("metadata", {}), "cron_id": cron_id}
    config = dict(payload.get("config") or {})
    config["configurable"] = {**config.get("configurable", {}), "cron_id": cron_id}
    payload["config"] = config
    if cron.is_stateless:
        payload["on_completion"] = cron.on_run_completed
    return payload


def on_run_finished(sender: Any, *, run: Run, status: str, **_: Any) -> None:
    """`runs.hooks.run_finished` receiver: a cron's run that executed counts for or against it
    (one cancelled before it started does not), and every one of them joins the cron's history."""
    cron_id = (run.metadata or {}).get("cron_id")
    if not cron_id:
        return
    if run.started_at is not None:
        record_run_outcome(cron_id, succeeded=status == RunStatus.SUCCESS)
    # Sent before a temporary thread is deleted: the history keeps what the thread showed.
    record_cron_run(run)


def record_run_outcome(cron_id: str, succeeded: bool) -> None:
    """Count consecutive failures of a cron's runs; pause the cron past the limit."""
    if succeeded:
        Cron.objects.filter(pk=cron_id).update(consecutive_failures=0)
        return
    Cron.objects.filter(pk=cron_id).update(consecutive_failures=F("consecutive_failures") + 1)
    cron = Cron.objects.filter(pk=cron_id).first()
    if cron is not None and cron.enabled and cron.consecutive_failures >= settings.CRON_MAX_CONSECUTIVE_FAILURES:
        logger.warning("cron %s paused after %d consecutive failed runs", cron_id, cron.consecutive_failures)
        _pause(cron, PauseReason.FAILURES)


def _pause(cron: Cron, reason: str) -> None:
    with transaction.atomic():
        Cron.objects.filter(pk=cron.pk).update(enabled=False, paused_reason=reason, next_run_date=None)
        PeriodicTask.objects.filter(name=cron.periodic_task_name).update(enabled=False)
    # A bulk update does not wake celery beat's scheduler by itself.
    PeriodicTasks.update_changed()
