"""The numbers on the admin dashboard: what the fleet is doing right now and over the last day.

Every query is bounded by a time window or a LIMIT and served by an index
(see Run.Meta.indexes), so a page view costs the same on a table of a
thousand runs as on one of a hundred million.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from apps.core.redis import get_redis
from apps.runs.models import Run, RunStatus

WORKER_PING_TIMEOUT_S = 1.0
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
# Bucket widths of the charts: per minute over the hour, per quarter hour over the day.
HOUR_BUCKET_S = 60
DAY_BUCKET_S = 15 * 60
# The pending count stops here: a backlog's exact size past it changes no decision.
PENDING_COUNT_CAP = 10_000


RUNS_TABLE = Run._meta.db_table
# Runs created per minute and status (a range scan of created_at's index).
CREATED_SQL = f"""
    SELECT to_timestamp(floor(extract(epoch FROM created_at) / 60) * 60) AS minute, status, count(*)
    FROM {RUNS_TABLE} WHERE created_at >= %s GROUP BY 1, 2
"""
# p50 / p95 duration per bucket of the runs that ended in it (index run_ended_started: index-only).
DURATIONS_SQL = f"""
    SELECT to_timestamp(floor(extract(epoch FROM ended_at) / %s) * %s) AS bucket,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - started_at)),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM ended_at - started_at))
    FROM {RUNS_TABLE}
    WHERE ended_at >= %s AND started_at IS NOT NULL
    GROUP BY 1
"""


@dataclass
class Overview:
    now: datetime.datetime
    last_hour: dict[str, int] = field(default_factory=dict)
    last_day: dict[str, int] = field(default_factory=dict)
    # {bucket start: {status: runs created in that bucket}}
    created_per_minute: dict[datetime.datetime, dict[str, int]] = field(default_factory=dict)
    created_per_quarter: dict[datetime.datetime, dict[str, int]] = field(default_factory=dict)
    # {bucket start: (p50 s, p95 s)} of runs that ended in that bucket
    durations_hour: dict[datetime.datetime, tuple[float, float]] = field(default_factory=dict)
    durations_day: dict[datetime.datetime, tuple[float, float]] = field(default_factory=dict)
    errors_by_graph: dict[str, int] = field(default_factory=dict)
    pending: int = 0
    pending_capped: bool = False
    queue_depth: int | None = None
    oldest_pending_age_s: float | None = None
    running: int = 0
    workers: list[str] = field(default_factory=list)


def bucket_start(moment: datetime.datetime, width_s: int) -> datetime.datetime:
    epoch = int(moment.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % width_s, tz=datetime.UTC)


def bucket_starts(now: datetime.datetime, window: datetime.timedelta, width_s: int) -> list[datetime.datetime]:
    """The buckets of a chart's x axis, oldest first, the last one holding `now`."""
    last = bucket_start(now, width_s)
    count = int(window.total_seconds()) // width_s
    return [last - datetime.timedelta(seconds=width_s * i) for i in range(count - 1, -1, -1)]


def runs_created(since: datetime.datetime) -> dict[datetime.datetime, dict[str, int]]:
    """Runs created per minute and status since `since` (created_at's index)."""
    per_minute: dict[datetime.datetime, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(CREATED_SQL, [since])
        for minute, status, n in cursor.fetchall():
            per_minute.setdefault(minute, {})[status] = n
    return per_minute


def run_durations(since: datetime.datetime, width_s: int) -> dict[datetime.datetime, tuple[float, float]]:
    """p50 and p95 run duration per bucket of runs that ended since `since` (index run_ended_started)."""
    with connection.cursor() as cursor:
        cursor.execute(DURATIONS_SQL, [width_s, width_s, since])
        return {bucket: (float(p50), float(p95)) for bucket, p50, p95 in cursor.fetchall()}


def errors_by_graph(since: datetime.datetime) -> dict[str, int]:
    """Failed runs per graph since `since` (index run_status_created)."""
    rows = (
        Run.objects.filter(status=RunStatus.ERROR, created_at__gte=since)
        .values("assistant__graph_id")
        .annotate(n=Count("run_id"))
        .order_by("-n")
    )
    return {row["assistant__graph_id"]: row["n"] for row in rows}


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


def _totals(per_minute: dict[datetime.datetime, dict[str, int]], since: datetime.datetime) -> dict[str, int]:
    totals = dict.fromkeys(RunStatus.values, 0)
    for minute, counts in per_minute.items():
        if minute >= bucket_start(since, HOUR_BUCKET_S):
            for status, n in counts.items():
                totals[status] = totals.get(status, 0) + n
    return totals


def _per_quarter(per_minute: dict[datetime.datetime, dict[str, int]]) -> dict[datetime.datetime, dict[str, int]]:
    quarters: dict[datetime.datetime, dict[str, int]] = {}
    for minute, counts in per_minute.items():
        bucket = quarters.setdefault(bucket_start(minute, DAY_BUCKET_S), {})
        for status, n in counts.items():
            bucket[status] = bucket.get(status, 0) + n
    return quarters


def build_overview(*, ping_workers: bool = True) -> Overview:
    """Everything the dashboard shows; `ping_workers=False` skips the (up to 1 s) worker ping."""
    now = timezone.now()
    per_minute = runs_created(bucket_start(now - DAY, DAY_BUCKET_S))
    pending = Run.objects.filter(status=RunStatus.PENDING)
    oldest_at = pending.order_by("created_at").values_list("created_at", flat=True).first()
    pending_count = pending[: PENDING_COUNT_CAP + 1].count()
    return Overview(
        now=now,
        last_hour=_totals(per_minute, now - HOUR),
        last_day=_totals(per_minute, now - DAY),
        created_per_minute=per_minute,
        created_per_quarter=_per_quarter(per_minute),
        durations_hour=run_durations(bucket_start(now - HOUR, HOUR_BUCKET_S), HOUR_BUCKET_S),
        durations_day=run_durations(bucket_start(now - DAY, DAY_BUCKET_S), DAY_BUCKET_S),
        errors_by_graph=errors_by_graph(now - DAY),
        pending=min(pending_count, PENDING_COUNT_CAP),
        pending_capped=pending_count > PENDING_COUNT_CAP,
        queue_depth=queue_depth(),
        oldest_pending_age_s=(now - oldest_at).total_seconds() if oldest_at else None,
        running=Run.objects.filter(status=RunStatus.RUNNING).count(),
        workers=answering_workers() if ping_workers else [],
    )
