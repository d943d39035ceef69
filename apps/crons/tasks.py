"""Celery task fired by celery beat for each cron (kwargs: {"cron_id": ...}).

Beat may deliver a firing twice after a crash; a duplicate creates one more
run, which the multitask strategy of the cron then governs.
"""

from celery import shared_task


@shared_task(name="crons.fire", ignore_result=True)
def fire(cron_id: str) -> None:
    from apps.crons import services

    services.fire_cron(cron_id)


@shared_task(name="crons.prune_history", ignore_result=True)
def prune_history() -> None:
    from apps.crons.history import prune_history

    prune_history()
