"""Handing a run to the worker fleet: a Celery message, or a word to the worker already holding its thread.

Used by run creation (API), the worker (runs it gives up at shutdown) and the
sweeper. The task is sent by name so that this module imports no task module
(the tasks import the worker, which dispatches).
"""

import logging
import uuid

from celery import current_app
from django.conf import settings
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from apps.core.redis import get_redis
from apps.runs.locks import wake_holder
from apps.runs.models import Run, RunStatus

logger = logging.getLogger(__name__)

EXECUTE_TASK = "runs.execute"


def send_execute_task(run_id: str, thread_id: str, countdown: float | None = None) -> None:
    """One `runs.execute` message (the seam tests record instead of sending)."""
    current_app.send_task(EXECUTE_TASK, args=[run_id, thread_id], countdown=countdown, retry=False)


def dispatch_run(run_id: uuid.UUID | str, thread_id: uuid.UUID | str, delay_s: float = 0) -> None:
    """Send the execution task, unless a worker holding the thread's lock will run it
    (see `wake_holder`). If the broker is down the run stays pending in PostgreSQL
    and the sweeper dispatches it once Redis is back.

    A delayed run (after_seconds) is sent with a countdown when the delay is
    short; a long one is left to the sweeper, which dispatches runs once due
    (a broker holding hour-long countdowns would redeliver them past its
    visibility timeout, and a worker would hold them all in memory).
    """
    if delay_s > settings.DELAYED_DISPATCH_MAX_S:
        return
    try:
        if not delay_s and wake_holder(get_redis(), str(thread_id)):
            return
        send_execute_task(str(run_id), str(thread_id), countdown=delay_s or None)
    except (RedisError, OperationalError) as exc:
        logger.warning("could not dispatch run %s (%s); the sweeper will", run_id, exc)


def dispatch_next_pending(thread_id: uuid.UUID | str) -> None:
    """Dispatch the thread's oldest pending run, if any (a worker leaving a thread it held)."""
    leftover = (
        Run.objects.filter(thread_id=thread_id, status=RunStatus.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if leftover is not None:
        dispatch_run(leftover, thread_id)
