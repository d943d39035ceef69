"""Celery beat task for thread retention (see apps.threads.retention).

Runs every THREAD_TTL_SWEEP_INTERVAL_S; each thread is swept in its own
transaction, so a sweep cut short (worker lost) is simply finished by the next.
"""

from celery import shared_task


@shared_task(name="threads.sweep_ttl", ignore_result=True)
def sweep_ttl() -> None:
    from apps.threads import retention

    retention.sweep_expired_threads()
