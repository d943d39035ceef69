"""The admin dashboard: what the fleet does now and did over the last hour and day, in charts."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.console import charts
from apps.runs.models import RunStatus
from apps.runs.overview import (
    DAY,
    DAY_BUCKET_S,
    HOUR,
    HOUR_BUCKET_S,
    Overview,
    bucket_starts,
    build_overview,
)

# Seconds between two refreshes of the charts in an open dashboard.
LIVE_INTERVAL_S = 5


def dashboard(request: HttpRequest) -> HttpResponse:
    overview = build_overview()
    context = {
        **admin.site.each_context(request),
        **chart_context(overview),
        "title": "Dashboard",
        "live_interval_s": LIVE_INTERVAL_S,
    }
    return TemplateResponse(request, "admin/console/dashboard.html", context)


def dashboard_charts(request: HttpRequest) -> HttpResponse:
    """The charts alone, for the page's live refresh (no worker ping: it would add up to 1 s)."""
    context = chart_context(build_overview(ping_workers=False))
    return TemplateResponse(request, "admin/console/dashboard_charts.html", context)


def chart_context(overview: Overview) -> dict[str, Any]:
    hour = bucket_starts(overview.now, HOUR, HOUR_BUCKET_S)
    day = bucket_starts(overview.now, DAY, DAY_BUCKET_S)
    statuses = RunStatus.values
    oldest = overview.oldest_pending_age_s
    pending = f"{overview.pending}+" if overview.pending_capped else overview.pending
    queue_bars = {"pending runs": overview.pending, "running runs": overview.running}
    if overview.queue_depth is not None:
        queue_bars["tasks queued in Redis"] = overview.queue_depth
    return {
        "overview": overview,
        "by_status": [(status, overview.last_hour[status], overview.last_day[status]) for status in statuses],
        "pending_label": pending,
        "charts": {
            "throughput_hour": charts.runs_per_minute(
                "Runs per minute by status, last hour", hour, overview.created_per_minute, statuses, 1, 10
            ),
            "throughput_day": charts.runs_per_minute(
                "Runs per minute by status, last day (15-min average)",
                day,
                overview.created_per_quarter,
                statuses,
                DAY_BUCKET_S // 60,
                16,
                bars=False,
            ),
            "durations_hour": charts.durations("Run duration p50 / p95, last hour", hour, overview.durations_hour, 10),
            "durations_day": charts.durations("Run duration p50 / p95, last day", day, overview.durations_day, 16),
            "queue": charts.queue(
                "Queue now" + (f" (oldest pending run: {oldest:.1f} s)" if oldest is not None else ""), queue_bars
            ),
            "errors": charts.errors_by_graph("Errors by graph, last day", overview.errors_by_graph),
        },
    }
