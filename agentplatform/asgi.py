"""ASGI entry point: `uvicorn agentplatform.asgi:application`."""

import os

import django
from django.urls import get_resolver

from agentplatform.gcfreeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
django.setup(set_prefix=False)

from agentplatform.handler import SyncChainASGIHandler  # noqa: E402  (needs settings configured)

application = SyncChainASGIHandler()
get_resolver().check()  # imports every view now (rather than at the first request), to be frozen below
freeze_startup_objects()
