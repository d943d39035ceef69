"""Shared Redis clients: one sync client per process, one async client per event loop."""

import asyncio
import threading
import weakref

import redis
import redis.asyncio as aioredis
from django.conf import settings
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

# redis-py's default retries a refused connection 10 times, backing off up to 1 s each:
# ~4 s before a request could answer 503. A blip (one dropped connection) is still
# retried; an outage fails within ~0.1 s. Connecting waits at most REDIS_CONNECT_TIMEOUT_S.
REDIS_RETRIES = 2
REDIS_CONNECT_TIMEOUT_S = 2.0


def _backoff() -> ExponentialWithJitterBackoff:
    return ExponentialWithJitterBackoff(base=0.01, cap=0.1)


_sync_client: redis.Redis | None = None
_sync_lock = threading.Lock()
_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis]" = weakref.WeakKeyDictionary()


def get_redis() -> redis.Redis:
    global _sync_client
    if _sync_client is None:
        with _sync_lock:
            if _sync_client is None:
                _sync_client = redis.Redis.from_url(
                    settings.REDIS_URL,
                    health_check_interval=30,
                    socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
                    retry=Retry(_backoff(), REDIS_RETRIES),
                )
    return _sync_client


def get_async_redis() -> aioredis.Redis:
    """An asyncio client bound to the running loop (clients cannot cross loops)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        # Blocking XREADs wait up to SSE_HEARTBEAT_S: the socket must outwait them.
        client = aioredis.Redis.from_url(
            settings.REDIS_URL,
            health_check_interval=30,
            socket_timeout=settings.SSE_HEARTBEAT_S + 30,
            socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
            retry=AsyncRetry(_backoff(), REDIS_RETRIES),
        )
        _async_clients[loop] = client
    return client
