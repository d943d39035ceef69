"""Every PostgreSQL connection pool of a process, and how they behave in an outage.

A process holds up to five pools: Django's, the checkpointer's and the store's (sync
in the API, async on a worker's run loop). On all of them:
1. a connection is checked before it is handed out, so one broken by a PostgreSQL
   restart is replaced rather than failing the request or the run using it, but only
   one unused for CHECK_AFTER_IDLE_S (Django's pool too: agentplatform/postgres): a check
   is a round trip (~50 us of CPU, ~150 us on a worker's run loop, bench/HISTORY.md) and
   a trivial run checks out about eight times, while a connection given back moments
   ago was working then (one broken since is caught by point 4);
2. a checkout waits at most DB_POOL_TIMEOUT_S (the pools are sized above their
   threads, so only connecting, or an outage, ever makes one wait), and connecting
   at most DB_CONNECT_TIMEOUT_S: a request answers 503 within about a second;
3. a failed reconnection is given up after DB_RECONNECT_TIMEOUT_S, so the next
   checkout tries at once instead of waiting out a long backoff once PostgreSQL is back;
4. the first outage error seen (apps.core.failures) has every pool test its idle
   connections (psycopg_pool's `check()`): after a restart they are all dead, and
   each checkout would otherwise find them one by one, pausing after each.
"""

import asyncio
import logging
import threading
import time
import weakref
from typing import Any

from django.conf import settings
from django.db import connections
from psycopg_pool import AsyncConnectionPool, ConnectionPool

logger = logging.getLogger(__name__)

# At most one sweep of the idle connections per interval, however many requests fail at once.
CHECK_INTERVAL_S = 1.0

_sync_pools: "weakref.WeakSet[ConnectionPool]" = weakref.WeakSet()
_async_pools: "weakref.WeakKeyDictionary[AsyncConnectionPool, asyncio.AbstractEventLoop]" = weakref.WeakKeyDictionary()
_last_check = 0.0
_check_lock = threading.Lock()


CHECK_AFTER_IDLE_S = 2.0
# When each connection was last handed out (stamped by the check itself: a `reset` hook
# would send every return through a pool worker task, which costs as much as the check).
_handed_out_at: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()


def _idle_long(conn: Any) -> bool:
    now = time.monotonic()
    idle = now - _handed_out_at.get(conn, 0.0) > CHECK_AFTER_IDLE_S
    _handed_out_at[conn] = now
    return idle


def check_if_idle_long(conn: Any) -> None:
    if _idle_long(conn):
        ConnectionPool.check_connection(conn)


async def _check_if_idle_long_async(conn: Any) -> None:
    if _idle_long(conn):
        await AsyncConnectionPool.check_connection(conn)


def pool_options(*, is_async: bool) -> dict[str, Any]:
    """Keyword arguments for one of our psycopg pools (points 1-3)."""
    return {
        "check": _check_if_idle_long_async if is_async else check_if_idle_long,
        "timeout": settings.DB_POOL_TIMEOUT_S,
        "reconnect_timeout": settings.DB_RECONNECT_TIMEOUT_S,
    }


def register(pool: ConnectionPool | AsyncConnectionPool, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Include a pool in `check_idle_connections` (an async one with the loop it lives on)."""
    if isinstance(pool, AsyncConnectionPool):
        _async_pools[pool] = loop or asyncio.get_running_loop()
    else:
        _sync_pools.add(pool)


def check_idle_connections() -> bool:
    """Point 4: have every pool drop its broken idle connections, in the background.

    Returns False when a check ran less than CHECK_INTERVAL_S ago (nothing done).
    """
    global _last_check
    with _check_lock:
        now = time.monotonic()
        if now - _last_check < CHECK_INTERVAL_S:
            return False
        _last_check = now
    threading.Thread(target=_check_all, name="pool-check", daemon=True).start()
    return True


def _check_all() -> None:
    django_pool = getattr(connections["default"], "pool", None)
    for pool in [*([django_pool] if django_pool is not None else []), *list(_sync_pools)]:
        if not pool.closed:
            _quietly(pool.check)
    for pool, loop in list(_async_pools.items()):
        if not pool.closed and loop.is_running():
            _quietly(lambda pool=pool, loop=loop: asyncio.run_coroutine_threadsafe(pool.check(), loop).result())


def _quietly(check: Any) -> None:
    try:
        check()
    except Exception:  # PostgreSQL still down: the next outage error tries again
        logger.info("checking a pool's idle connections failed", exc_info=True)
