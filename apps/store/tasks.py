"""Celery tasks for the store."""

from celery import shared_task

from apps.store import services


@shared_task(name="store.sweep", ignore_result=True)
def sweep() -> None:
    """Beat task: delete expired store items when a sweep is due (see services.sweep_expired_items)."""
    services.sweep_expired_items()
