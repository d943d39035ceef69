"""The Celery app: `celery -A agentplatform worker` / `celery -A agentplatform beat`."""

import os

from celery import Celery
from celery.signals import worker_ready

from agentplatform.gcfreeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")

app = Celery("agentplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _freeze_startup_objects(**_: object) -> None:
    freeze_startup_objects()
