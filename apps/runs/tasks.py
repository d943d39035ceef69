"""Celery tasks for runs.

Delivery is at-least-once (acks_late + reject_on_worker_lost in settings);
the service is idempotent per run: a run that is not pending is skipped.
"""

from celery import shared_task

from apps.runs import services, sweeper


@shared_task(name="runs.execute", ignore_result=True)
def execute_run(run_id: str, thread_id: str) -> None:
    services.execute_thread_runs(run_id, thread_id)


@shared_task(name="runs.sweep", ignore_result=True)
def sweep() -> None:
    """Beat task: re-dispatch runs that lost their worker or their task (see apps.runs.sweeper)."""
    sweeper.sweep_runs()
