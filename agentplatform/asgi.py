"""ASGI entry point: `uvicorn agentplatform.asgi:application`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
django.setup(set_prefix=False)

from apps.core.asgi import SyncChainASGIHandler  # noqa: E402  (needs settings configured)

application = SyncChainASGIHandler()
