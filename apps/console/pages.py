"""The pictures and transcripts on the thread and run pages, rendered for the admin's readonly fields.

Each function returns HTML and never raises: a deleted thread, an unloadable
graph or Redis being away shows as a note in the page, not as a 500.
"""

import datetime
import logging
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.console import charts
from apps.console.conversation import HISTORY_LIMIT, StepRow, split_state, steps_from_history
from apps.runs import services as run_services
from apps.runs.models import Run
from apps.threads import services as thread_services

logger = logging.getLogger(__name__)
# Stream events a run page lists at most (the Redis stream keeps more while the run is fresh).
EVENTS_LIMIT = 200
EVENT_PREVIEW_CHARS = 160


def _unavailable(what: str, exc: Exception) -> SafeString:
    logger.info("admin: %s unavailable: %s", what, exc)
    return format_html('<p class="help">{} unavailable: {}</p>', what, f"{type(exc).__name__}: {exc}")


def thread_conversation(thread_id: Any) -> SafeString:
    """The transcript (human / AI / tool messages, tool calls folded) beside the other state keys."""
    try:
        state = thread_services.get_thread_state(thread_id)
    except Exception as exc:
        return _unavailable("The thread's state", exc)
    messages, others = split_state(state.get("values"))
    return render_to_string(
        "admin/console/conversation.html",
        {"messages": messages, "others": others, "next": state.get("next") or [], "tasks": state.get("tasks") or []},
    )


def thread_timeline(thread_id: Any) -> SafeString:
    """The latest checkpoints as steps: node, time, time spent."""
    try:
        history = thread_services.get_thread_history(thread_id, limit=HISTORY_LIMIT)
    except Exception as exc:
        return _unavailable("The thread's history", exc)
    steps = steps_from_history(history)
    bars = [
        charts.Step(f"{row.started_at:%H:%M:%S} {row.node}", 0.0, row.duration_s or 0.0, row.error) for row in steps
    ]
    chart = charts.timeline(f"Time spent per step (latest {HISTORY_LIMIT} checkpoints)", bars, x_title="seconds")
    return render_to_string("admin/console/steps.html", {"chart": chart, "steps": steps, "origin": None})


def run_timeline(run: Run) -> SafeString:
    """The run's steps on a time axis from its start, the failed step in red with its error beside it."""
    try:
        history = thread_services.get_thread_history(
            run.thread_id, limit=HISTORY_LIMIT, metadata={"run_id": str(run.run_id)}
        )
    except Exception as exc:
        return _unavailable("The run's checkpoints", exc)
    steps = steps_from_history(history, ended_at=run.ended_at)
    if run.error and steps and (steps[-1].error or steps[-1].duration_s is None):
        # The step that raised: the run's own error reads better than the checkpoint's repr of it.
        steps[-1].error = _error_text(run.error)
    origin = run.started_at or (steps[0].started_at if steps else None)
    bars = [_bar(row, origin) for row in steps]
    chart = charts.timeline("Steps of this run (seconds from its start)", bars)
    context = {"chart": chart, "steps": steps, "origin": origin, "traceback": run.traceback, "run_error": run.error}
    return render_to_string("admin/console/steps.html", context)


def _bar(row: StepRow, origin: datetime.datetime | None) -> charts.Step:
    start = (row.started_at - origin).total_seconds() if origin else 0.0
    return charts.Step(row.node, max(start, 0.0), row.duration_s or 0.0, row.error)


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        return f"{error.get('error', 'Error')}: {error.get('message', '')}".strip(": ")
    return str(error)


def run_events(run: Run) -> SafeString:
    """The run's stream events while Redis keeps them: time from the run's start, event, data."""
    try:
        events = run_services.recent_events(run.run_id, limit=EVENTS_LIMIT)
    except Exception as exc:
        return _unavailable("The run's stream events", exc)
    rows = []
    for event in events:
        millis = int(event["id"].split("-")[0])
        at = datetime.datetime.fromtimestamp(millis / 1000, tz=datetime.UTC)
        offset = (at - run.started_at).total_seconds() if run.started_at else None
        data = event["data"]
        rows.append(
            {
                "offset": offset,
                "event": event["event"],
                "preview": data[:EVENT_PREVIEW_CHARS],
                "data": data if len(data) > EVENT_PREVIEW_CHARS else "",
                "error": event["event"] == "error",
            }
        )
    return render_to_string("admin/console/events.html", {"events": rows, "limit": EVENTS_LIMIT})
