"""When a run ends, enqueue its webhook (step 1 of the protocol in apps.runs.webhooks).

Subscribed to `hooks.run_finished` in RunsConfig.ready(). The delivery task
is sent by name: this module imports no task module.
"""

import copy
import datetime
import logging
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from apps.graphs.config import get_config
from apps.runs.models import Run
from apps.runs.serializers import run_to_json
from apps.threads.services import get_thread_values

logger = logging.getLogger(__name__)

DELIVER_TASK = "runs.deliver_webhook"


def run_payload(run: Run, values: Any, error: dict[str, Any] | None) -> dict[str, Any]:
    """The run as GET run shows it, plus when it ran, its final values and its error (as upstream sends)."""
    payload = run_to_json(run)
    payload["run_started_at"] = run.started_at.isoformat() if run.started_at else None
    payload["run_ended_at"] = run.ended_at.isoformat() if run.ended_at else None
    payload["values"] = values
    if error is not None:
        payload["error"] = error.get("message") or error.get("error")
    return payload


def on_run_finished(sender: Any, *, run: Run, status: str, values: Any, error: dict[str, Any] | None, **_: Any) -> None:
    """If the run asked for a webhook, send its payload once the terminal status is committed."""
    url = (run.kwargs or {}).get("webhook")
    if not url or get_config().webhooks_disabled:  # langgraph.json http.disable_webhooks, as upstream
        return
    if error is not None:  # a failed run leaves the thread's values as they were
        values = get_thread_values(run.thread_id)
    now = datetime.datetime.now(datetime.UTC)
    finished = copy.copy(run)  # the row as the terminal update left it, without reading it back
    finished.status, finished.updated_at, finished.ended_at = status, now, run.ended_at or now
    payload = run_payload(finished, values, error)
    transaction.on_commit(lambda: send_delivery_task(url, payload))


def send_delivery_task(url: str, payload: dict[str, Any]) -> None:
    try:
        current_app.send_task(DELIVER_TASK, args=[url, payload], retry=False)
    except (RedisError, OperationalError) as exc:  # the run's outcome is in PostgreSQL; only the call is lost
        logger.warning("could not enqueue the webhook of run %s: %s", payload.get("run_id"), exc)
