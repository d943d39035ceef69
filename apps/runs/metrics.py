"""/metrics: fleet-wide numbers computed from PostgreSQL and Redis at scrape time.

Any API process answers for the whole fleet (no per-process registries to
aggregate), in Prometheus text format or JSON.
"""

import datetime
from typing import Any

from django.db.models import Count, F
from django.utils import timezone

from apps.runs.models import Run, RunStatus
from apps.runs.overview import queue_depth

DURATION_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
DURATION_WINDOW = datetime.timedelta(hours=1)


def collect() -> dict[str, Any]:
    now = timezone.now()
    by_status = {status: 0 for status in RunStatus.values}
    by_status.update({row["status"]: row["n"] for row in Run.objects.values("status").annotate(n=Count("run_id"))})
    oldest = Run.objects.filter(status=RunStatus.PENDING).order_by("created_at").values_list("created_at", flat=True)
    oldest_at = oldest.first()
    durations = [
        d.total_seconds()
        for d in Run.objects.filter(ended_at__gte=now - DURATION_WINDOW, started_at__isnull=False)
        .annotate(duration=F("ended_at") - F("started_at"))
        .values_list("duration", flat=True)
    ]
    return {
        "runs_by_status": by_status,
        "queue_depth": queue_depth(),
        "oldest_pending_run_age_seconds": (now - oldest_at).total_seconds() if oldest_at else 0.0,
        "run_duration_seconds_last_hour": {
            "buckets": {str(b): sum(1 for d in durations if d <= b) for b in DURATION_BUCKETS_S},
            "count": len(durations),
            "sum": sum(durations),
        },
    }


def to_prometheus(snapshot: dict[str, Any]) -> str:
    lines = [
        "# HELP agentplatform_runs Runs by status.",
        "# TYPE agentplatform_runs gauge",
        *(f'agentplatform_runs{{status="{s}"}} {n}' for s, n in snapshot["runs_by_status"].items()),
        "# HELP agentplatform_queue_depth Run tasks waiting in the broker queue (-1: Redis unavailable).",
        "# TYPE agentplatform_queue_depth gauge",
        f"agentplatform_queue_depth {snapshot['queue_depth'] if snapshot['queue_depth'] is not None else -1}",
        "# HELP agentplatform_oldest_pending_run_age_seconds Age of the oldest pending run.",
        "# TYPE agentplatform_oldest_pending_run_age_seconds gauge",
        f"agentplatform_oldest_pending_run_age_seconds {snapshot['oldest_pending_run_age_seconds']:.3f}",
        "# HELP agentplatform_run_duration_seconds Durations of runs that ended in the last hour.",
        "# TYPE agentplatform_run_duration_seconds gaugehistogram",
    ]
    histogram = snapshot["run_duration_seconds_last_hour"]
    lines += [f'agentplatform_run_duration_seconds_bucket{{le="{b}"}} {n}' for b, n in histogram["buckets"].items()]
    lines += [
        f'agentplatform_run_duration_seconds_bucket{{le="+Inf"}} {histogram["count"]}',
        f"agentplatform_run_duration_seconds_gcount {histogram['count']}",
        f"agentplatform_run_duration_seconds_gsum {histogram['sum']:.6f}",
    ]
    return "\n".join(lines) + "\n"
