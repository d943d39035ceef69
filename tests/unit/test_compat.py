"""The library internals agentplatform/compat.py relies on are still there, and its patches take effect.

A failure here after an upgrade means the library changed underneath a patch:
read the patch's docstring, then adapt or drop it. (kombu's channel needs Redis:
tests/integration/test_compat_broker.py.)
"""

import asyncio
import contextvars
import functools
import gc
import inspect
import re
import threading
import weakref
from typing import Any

import pytest
from django.db.backends.postgresql import base as postgresql_base
from django.test import RequestFactory
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.postgres.base import BasePostgresSaver
from langgraph_sdk import Auth
from psycopg_pool import ConnectionPool
from rest_framework import serializers
from rest_framework.request import Request

from agentplatform.compat import (
    CHECKPOINT_SERIALIZERS,
    authenticate_handler,
    authorization_handler,
    http_request,
    is_checkpoint_serializer,
    widen_saver_lock,
)
from apps.core.dbpools import check_if_idle_long
from apps.core.serializers import StrictSerializer


async def _new_async_saver() -> AsyncPostgresSaver:
    return AsyncPostgresSaver(conn=None)  # it binds the running loop; never connects


def new_async_saver() -> AsyncPostgresSaver:
    return asyncio.run(_new_async_saver())


# 2. The saver's lock


class EnteredLock:
    """Stands in for a saver's lock and records that an operation entered it."""

    def __init__(self) -> None:
        self.entered = 0

    def __enter__(self) -> None:
        self.entered += 1

    def __exit__(self, *exc: object) -> None:
        pass

    async def __aenter__(self) -> None:
        self.entered += 1

    async def __aexit__(self, *exc: object) -> None:
        pass


def test_the_sync_saver_guards_each_operation_with_its_lock_attribute() -> None:
    saver = PostgresSaver(conn=None)
    assert isinstance(saver.lock, type(threading.Lock()))
    saver.lock = EnteredLock()
    with pytest.raises(TypeError), saver._cursor():  # no connection: entering the lock is what counts
        pass
    assert saver.lock.entered == 1


def test_the_async_saver_guards_each_operation_with_its_lock_attribute() -> None:
    async def operation() -> EnteredLock:
        saver = await _new_async_saver()
        assert isinstance(saver.lock, asyncio.Lock)
        saver.lock = lock = EnteredLock()
        with pytest.raises(TypeError):  # no connection: entering the lock is what counts
            async with saver._cursor():
                pass
        return lock

    assert asyncio.run(operation()).entered == 1


def test_a_widened_lock_lets_as_many_operations_in_as_the_pool_holds() -> None:
    sync_saver, async_saver = PostgresSaver(conn=None), new_async_saver()
    widen_saver_lock(sync_saver, 3)
    widen_saver_lock(async_saver, 3)
    assert isinstance(sync_saver.lock, threading.BoundedSemaphore)
    assert isinstance(async_saver.lock, asyncio.BoundedSemaphore)
    assert all(sync_saver.lock.acquire(blocking=False) for _ in range(3))
    assert not sync_saver.lock.acquire(blocking=False)
    with pytest.raises(TypeError):
        widen_saver_lock(object(), 3)  # type: ignore[arg-type]


# 3. The (de)serialisers, by name


def test_the_serializer_names_are_methods_of_the_postgres_savers() -> None:
    for name in CHECKPOINT_SERIALIZERS:
        assert callable(getattr(BasePostgresSaver, name, None)), name


def test_the_async_saver_hands_only_those_serializers_to_a_thread() -> None:
    source = inspect.getsource(AsyncPostgresSaver)
    handed_to_threads = set(re.findall(r"asyncio\.to_thread\(\s*self\.(\w+)", source))
    assert handed_to_threads, "AsyncPostgresSaver no longer uses asyncio.to_thread: the inline executor is moot"
    assert handed_to_threads <= CHECKPOINT_SERIALIZERS


def as_to_thread_submits(fn: Any, *args: Any) -> functools.partial:
    return functools.partial(contextvars.copy_context().run, fn, *args)


def test_a_serializer_is_recognised_as_asyncio_to_thread_submits_it() -> None:
    saver = new_async_saver()
    assert is_checkpoint_serializer(as_to_thread_submits(saver._load_writes, []))
    assert is_checkpoint_serializer(as_to_thread_submits(saver._dump_blobs, "t", "", {}, {}))
    assert not is_checkpoint_serializer(as_to_thread_submits(saver.get_next_version, None, None))
    assert not is_checkpoint_serializer(as_to_thread_submits(len, []))
    assert not is_checkpoint_serializer(saver._load_writes)


# 4. Auth's handler registries


def test_a_fresh_auth_has_empty_handler_registries() -> None:
    auth = Auth()
    assert auth._handlers == {} and auth._global_handlers == [] and auth._authenticate_handler is None
    assert authenticate_handler(auth) is None
    assert authorization_handler(auth, "threads", "create") is None


def test_the_most_specific_handler_is_found() -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate(authorization: str) -> str:
        return "user"

    @auth.on
    async def anything(ctx: Any, value: Any) -> None: ...

    @auth.on.threads
    async def any_thread_action(ctx: Any, value: Any) -> None: ...

    @auth.on.threads.create
    async def thread_create(ctx: Any, value: Any) -> None: ...

    assert authenticate_handler(auth) is authenticate
    assert authorization_handler(auth, "threads", "create") is thread_create
    assert authorization_handler(auth, "threads", "read") is any_thread_action
    assert authorization_handler(auth, "assistants", "read") is anything


# 5. DRF's bound serializer fields, reused


class ContextEcho(serializers.Field):
    """Validates to what its serializer's context says, to show which serializer it is bound to."""

    def to_internal_value(self, data: Any) -> Any:
        return self.context.get("tenant")


class Body(StrictSerializer):
    name = serializers.CharField()
    tenant = ContextEcho(required=False)


class Payload(dict):
    """A body that can be watched with a weak reference."""


def validated(serializer: StrictSerializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def test_fields_see_the_context_of_the_serializer_validating() -> None:
    assert validated(Body(data={"name": "a", "tenant": 1})) == {"name": "a", "tenant": None}
    assert validated(Body(data={"name": "a", "tenant": 1}, context={"tenant": "t1"}))["tenant"] == "t1"
    assert validated(Body(data={"name": "a", "tenant": 1}, context={"tenant": "t2"}))["tenant"] == "t2"
    assert validated(Body(data={"name": "a", "tenant": 1}))["tenant"] is None


def test_a_partial_serializer_lets_required_fields_be_left_out() -> None:
    assert validated(Body(data={"name": "a"})) == {"name": "a"}
    assert validated(Body(data={}, partial=True)) == {}
    assert not Body(data={}).is_valid()


def test_no_body_is_kept_once_validated() -> None:
    class FreshBody(Body):  # the first of its class this thread builds
        pass

    body = Payload(name="first")
    validated(FreshBody(data=body))
    watched = weakref.ref(body)
    del body
    gc.collect()
    assert watched() is None


def test_plain_serializers_of_one_thread_share_their_bound_fields() -> None:
    first, second = Body(data={"name": "a"}), Body(data={"name": "b"})
    assert first.fields["name"] is second.fields["name"]  # the measured win: no rebinding per request
    assert validated(first) == {"name": "a"} and validated(second) == {"name": "b"}
    other_thread: list[Any] = []
    thread = threading.Thread(target=lambda: other_thread.append(Body(data={}).fields["name"]))
    thread.start()
    thread.join()
    assert other_thread[0] is not first.fields["name"]


def test_a_bound_field_refers_to_its_serializer_only_as_parent() -> None:
    """The premise of the reuse: DRF fields reach their serializer through `parent` alone."""
    for field in Body(data={}).fields.values():
        refs = [name for name, value in vars(field).items() if isinstance(value, serializers.BaseSerializer)]
        assert refs == ["parent"], f"{type(field).__name__} also holds its serializer as {refs}"


# 6. DRF's Request, unwrapped


def test_the_http_request_behind_a_drf_request_is_found() -> None:
    wrapped = RequestFactory().get("/threads")
    request = Request(wrapped)
    assert http_request(request) is wrapped
    request.mark = True  # a DRF Request keeps what is set on it ...
    assert not hasattr(wrapped, "mark")  # ... so marks meant for Django's request go on that one


def test_psycopg_pool_keeps_its_check_where_the_patch_sets_it() -> None:
    def check(conn: Any) -> None:
        pass

    pool = ConnectionPool(open=False, check=check)
    assert pool._check is check
    assert "self._check" in inspect.getsource(ConnectionPool._getconn_with_check_loop)


def test_djangos_pool_checks_with_ours() -> None:
    from django.db import connection

    assert connection.pool._check is check_if_idle_long
    assert "check=" in inspect.getsource(postgresql_base.DatabaseWrapper.pool.fget)  # Django still sets its own
