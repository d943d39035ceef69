"""The Celery app: `celery -A agentplatform worker` / `celery -A agentplatform beat`."""

import os

from celery import Celery
from celery.signals import worker_ready

from agentplatform.gcfreeze import freeze_startup_objects
from apps.graphs.config import thread_ttl_sweep_interval_s

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
# Celery's Django fixup runs Django's system checks in every worker and beat process, and
# the URL checks import the whole URLconf (views, admin, serializers): ~20 MB per process
# for checks that `manage.py migrate` / `prepare` already ran at deploy.
os.environ.setdefault("CELERY_SKIP_CHECKS", "true")

app = Celery("agentplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule_thread_ttl_sweep(sender: Celery, **_: object) -> None:
    """Its period may come from langgraph.json: read when Celery configures itself, not when settings load."""
    interval_s = thread_ttl_sweep_interval_s()
    sender.add_periodic_task(
        interval_s, sender.signature("threads.sweep_ttl"), name="sweep-thread-ttl", expires=interval_s
    )


@worker_ready.connect
def _freeze_startup_objects(**_: object) -> None:
    freeze_startup_objects()
