"""The numbers on the admin dashboard: what the fleet is doing right now."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.core.redis import get_redis
from apps.runs.models import Run, RunStatus

WORKER_PING_TIMEOUT_S = 1.0


@dataclass
class Overview:
    last_hour: dict[str, int] = field(default_factory=dict)
    last_day: dict[str, int] = field(default_factory=dict)
    queue_depth: int | None = None
    oldest_pending_age_s: float | None = None
    running: int = 0
    workers: list[str] = field(default_factory=list)


def runs_by_status(since: datetime.datetime) -> dict[str, int]:
    rows = Run.objects.filter(created_at__gte=since).values("status").annotate(n=Count("run_id"))
    counts = {status: 0 for status in RunStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def queue_depth() -> int | None:
    """Messages waiting in the runs queue (the Redis list Celery's transport uses)."""
    try:
        return int(get_redis().llen(settings.RUNS_QUEUE))
    except Exception:  # Redis down: the dashboard says "unknown" rather than fail
        return None


def answering_workers() -> list[str]:
    from agentplatform.celery import app

    try:
        replies = app.control.ping(timeout=WORKER_PING_TIMEOUT_S) or []
    except Exception:
        return []
    return sorted(name for reply in replies for name in reply)


def build_overview() -> Overview:
    now = timezone.now()
    oldest = Run.objects.filter(status=RunStatus.PENDING).order_by("created_at").values_list("created_at", flat=True)
    oldest_at = oldest.first()
    return Overview(
        last_hour=runs_by_status(now - datetime.timedelta(hours=1)),
        last_day=runs_by_status(now - datetime.timedelta(days=1)),
        queue_depth=queue_depth(),
        oldest_pending_age_s=(now - oldest_at).total_seconds() if oldest_at else None,
        running=Run.objects.filter(status=RunStatus.RUNNING).count(),
        workers=answering_workers(),
    )
