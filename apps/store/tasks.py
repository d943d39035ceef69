"""Celery tasks for the store."""

from celery import shared_task


@shared_task(name="store.sweep", ignore_result=True)
def sweep() -> None:
    """Beat task: delete expired store items when a sweep is due (see services.sweep_expired_items)."""
    from apps.store import services

    services.sweep_expired_items()
