"""Celery tasks for runs.

Ack policy: acks_late + reject_on_worker_lost (settings). `runs.execute` returns
once the thread's run is claimed (leased in PostgreSQL) and handed to the event
loop, so its message is acked then; from there the lease and the sweeper, not the
broker, guarantee the run ends (apps.runs.worker, steps 4 and 7). Claiming is
compare-and-set: a duplicate message claims nothing.

The tasks import what they call when they run: celery beat loads this module
(autodiscovery) only to know the task names, and the worker brings LangGraph.
A worker imports it at start (apps.runs.apps), before its first run.
"""

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

logger = logging.getLogger(__name__)


@shared_task(name="runs.execute", ignore_result=True)
def execute_run(run_id: str, thread_id: str) -> None:
    """Hand the thread's runs to this process's event loop (run_id: which run woke it, for logs)."""
    from apps.runs.worker import worker

    worker.accept(thread_id)


@shared_task(name="runs.sweep", ignore_result=True)
def sweep() -> None:
    """Beat task: re-dispatch runs that lost their worker or their task (see apps.runs.sweeper)."""
    from apps.runs import sweeper

    sweeper.sweep_runs()


@shared_task(name="runs.deliver_webhook", bind=True, ignore_result=True, max_retries=None)
def deliver_webhook(self: Task, url: str, payload: dict[str, Any]) -> None:
    """POST a finished run to its webhook (apps.runs.webhooks).

    Takes the payload, not the run id: a stateless run is deleted with its
    thread right after it ends. Retry policy: a retryable failure (connection
    error, timeout, 5xx, 429) is retried after an exponential backoff until
    WEBHOOK_MAX_ATTEMPTS deliveries were made; a receiver may thus see a
    payload more than once (same X-Webhook-Id), never in parallel.
    """
    from apps.runs import webhooks

    attempt = self.request.retries + 1
    result = webhooks.deliver(url, payload, attempt)
    if result.retryable and attempt < settings.WEBHOOK_MAX_ATTEMPTS:
        raise self.retry(countdown=webhooks.backoff_s(attempt))
    if not result.delivered:
        logger.warning(
            "webhook of run %s given up after %d attempts (%s)", payload.get("run_id"), attempt, result.detail
        )
