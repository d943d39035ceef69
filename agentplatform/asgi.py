"""ASGI entry point: `uvicorn agentplatform.asgi:application`."""

import os

import django
from django.urls import get_resolver

from agentplatform.gcfreeze import freeze_startup_objects

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentplatform.settings")
django.setup(set_prefix=False)

from agentplatform.handler import SyncChainASGIHandler  # noqa: E402  (needs settings configured)
from apps.graphs.config import get_config  # noqa: E402

application = SyncChainASGIHandler()
config = get_config()
if config.custom_app is not None:  # langgraph.json's `http.app`, imported only when named
    from apps.core.custom_app import with_custom_app

    application = with_custom_app(application)
if config.mount_prefix:
    from agentplatform.mount import PrefixMount

    application = PrefixMount(application, config.mount_prefix)
get_resolver().check()  # imports every view now (rather than at the first request), to be frozen below
freeze_startup_objects()
