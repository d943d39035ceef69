"""Shared Redis clients: one sync client per process, one async client per event loop."""

import asyncio
import threading
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings

_sync_client: redis.Redis | None = None
_sync_lock = threading.Lock()
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]" = weakref.WeakKeyDictionary()


def get_redis() -> redis.Redis:
    global _sync_client
    if _sync_client is None:
        with _sync_lock:
            if _sync_client is None:
                _sync_client = redis.Redis.from_url(settings.REDIS_URL, health_check_interval=30)
    return _sync_client


def get_async_redis() -> aioredis.Redis:
    """An asyncio client bound to the running loop (clients cannot cross loops)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Blocking XREADs wait up to SSE_HEARTBEAT_S: the socket must outwait them.
        client = aioredis.Redis.from_url(
            settings.REDIS_URL, health_check_interval=30, socket_timeout=settings.SSE_HEARTBEAT_S + 30
        )
        _async_clients[loop] = client
    return client
