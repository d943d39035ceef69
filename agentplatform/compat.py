"""Every patch of another library's private code, in one place.

Each is a measured win that no public API offers. Each relies on a detail a
library may change in any release, so tests/unit/test_compat.py and
tests/integration/test_compat_broker.py check, for each, that the detail is
still there with the shape we expect and that the patch takes effect: an
upgrade that breaks one fails those tests instead of silently undoing it.

1. kombu's Redis channel keeps one client (`Channel._create_client`), and a channel
   closed after its connection fails as a connection error (`Channel._get_pool`).
2. langgraph-checkpoint-postgres's savers take a semaphore as wide as their pool
   for their instance `lock`.
3. langgraph-checkpoint-postgres's (de)serialisers are recognised by their names
   (`_dump_blobs`, ...) when the async saver hands them to a thread.
4. langgraph_sdk's `Auth` is read through its handler registries
   (`_authenticate_handler`, `_handlers`, `_global_handlers`).
5. DRF serializers reuse their bound fields, which DRF rebuilds per instance.
6. DRF's Request is unwrapped to Django's HttpRequest (`_request`).
7. Django's PostgreSQL pool gets our connection check (psycopg_pool's `_check`).
"""

import asyncio
import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.utils.functional import cached_property
from kombu.transport import redis as kombu_redis

if TYPE_CHECKING:
    # Imported where used: this module loads in every process (the broker transport; beat and the
    # dev supervisor too), and LangGraph's savers, the SDK (httpx, websockets, rich) and DRF's
    # serializers (requests, yaml, pygments) weigh ~30 MB there.
    from langgraph.checkpoint.postgres.base import BasePostgresSaver
    from langgraph_sdk import Auth
    from rest_framework.request import Request

# 1. kombu ---------------------------------------------------------------------


class RedisChannel(kombu_redis.Channel):
    """Kombu's Redis channel, minus a client construction per broker command.

    Kombu builds a new `redis.Redis` for every synchronous command it sends
    (publish, the unacked bookkeeping at delivery, the ack). With redis-py 8 that
    costs ~0.17 ms of Python each (a fresh table of ~200 response callbacks), a few
    times per run in the worker and in the API. A client is only a thin handle on
    the channel's connection pool and is safe to share between threads, so each
    channel keeps one.
    """

    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        # A channel that reconnected has a new pool: the old handle would point at the dead one.
        if client is None or client.connection_pool is not self.pool:
            client = self._shared_client = super()._create_client()
        return client

    def _get_pool(self, asynchronous: bool = False) -> Any:
        # A channel closed after its connection (Celery's consumer on a broker loss) has no
        # connection details left to build a pool from: kombu raises AttributeError there, which
        # no caller ignores, and the worker dies ("Unrecoverable error"). As a connection error
        # the close goes on; the unacked messages stay in Redis for the visibility-timeout restore.
        if self.connection.client is None:
            raise kombu_redis.get_redis_ConnectionError()("the broker connection is closed")
        return super()._get_pool(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """Selected by settings.CELERY_BROKER_TRANSPORT for `redis://` broker URLs."""

    Channel = RedisChannel


# 2. langgraph-checkpoint-postgres: the saver's lock ------------------------------


def widen_saver_lock(saver: "BasePostgresSaver", pool_size: int) -> None:
    """Let up to `pool_size` operations of a pooled saver run at once.

    A saver serialises every operation behind one instance lock (`saver.lock`), which
    guards a single shared connection; on a pool each operation checks out its own, so
    the lock only made a process's concurrent runs (or request threads) queue for each
    other's checkpoint round trips (langgraph issue #7259). A semaphore as wide as the
    pool takes its place: operations run side by side, never more than the pool holds.
    """
    from langgraph.checkpoint.postgres import PostgresSaver
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    if isinstance(saver, AsyncPostgresSaver):
        saver.lock = asyncio.BoundedSemaphore(pool_size)
    elif isinstance(saver, PostgresSaver):
        saver.lock = threading.BoundedSemaphore(pool_size)
    else:
        raise TypeError(f"not a langgraph Postgres saver: {type(saver).__name__}")


# 3. langgraph-checkpoint-postgres: the (de)serialisers, by name -------------------

# The helpers its async saver hands to a thread with asyncio.to_thread (several times per run).
CHECKPOINT_SERIALIZERS = frozenset({"_dump_blobs", "_load_blobs", "_dump_writes", "_load_writes"})


def is_checkpoint_serializer(fn: Callable[..., Any]) -> bool:
    """Whether `fn`, as asyncio.to_thread submits it (partial(context.run, target, *args)),
    is one of a Postgres saver's checkpoint (de)serialisers."""
    if not isinstance(fn, functools.partial) or not fn.args:
        return False
    from langgraph.checkpoint.postgres.base import BasePostgresSaver

    target = fn.args[0]
    return isinstance(getattr(target, "__self__", None), BasePostgresSaver) and (
        getattr(target, "__name__", "") in CHECKPOINT_SERIALIZERS
    )


# 4. langgraph_sdk's Auth: its handler registries --------------------------------


def authenticate_handler(auth: "Auth") -> Callable | None:
    """The function `@auth.authenticate` registered, if any."""
    return auth._authenticate_handler


def authorization_handler(auth: "Auth", resource: str, action: str) -> Callable | None:
    """The `@auth.on...` handler for this resource and action, most specific first, as upstream picks it."""
    for key in ((resource, action), (resource, "*"), ("*", action)):
        if key in auth._handlers:
            return auth._handlers[key][-1]
    return auth._global_handlers[-1] if auth._global_handlers else None


# 5. DRF: bound serializer fields, reused ------------------------------------------

# Field sets bound to a template serializer, per thread and serializer class.
_bound_fields = threading.local()


class ReusedFieldsMixin:
    """For a DRF serializer (before serializers.Serializer in its bases): its fields are bound
    once per thread, not once per instance.

    DRF deep-copies and binds every declared field for each serializer instance
    (0.24 ms of CPU for a run body, on every run created; 0.05 ms with this). A field
    sees its serializer only through `parent` (hence `root`, `context`, `partial`),
    so fields bound to a template made with no data, no context and not partial
    behave exactly alike for every serializer made the same way: those share the
    template's fields. One with a context, `partial`, an instance or a parent binds
    its own, as DRF does. Per thread, as DRF never promised its fields are thread-safe.
    """

    _is_template = False

    @cached_property
    def fields(self) -> Any:
        if self._is_template or self.parent is not None or self.partial or self.context or self.instance is not None:
            return super().fields
        by_class = _bound_fields.__dict__.setdefault("by_class", {})
        fields = by_class.get(type(self))
        if fields is None:
            template = type(self)()
            template._is_template = True
            fields = by_class[type(self)] = template.fields
        return fields


# 6. DRF: the HttpRequest behind a Request -------------------------------------------


def http_request(request: "Request") -> HttpRequest:
    """The Django request a DRF Request wraps: the one the ASGI handler marks when the client leaves
    (agentplatform/disconnect.py). A DRF Request passes attribute reads on to it but keeps writes for itself."""
    return request._request


# 7. Django's PostgreSQL pool: its connection check ----------------------------------


def check_pool_connections_with(pool: Any, check: Callable[[Any], Any]) -> Any:
    """Have the pool Django built check the connections it hands out with `check`.

    Django gives its pool psycopg_pool's `check_connection` (CONN_HEALTH_CHECKS: a round
    trip at every checkout, several per run: ~0.7 ms of worker CPU per run in
    bench.compare_builds) or no check at all, and refuses a `check` in OPTIONS["pool"].
    Ours (apps/core/dbpools.py) checks only a connection that idled for a while.
    """
    if pool is not None and pool._check is not check:
        pool._check = check
    return pool
