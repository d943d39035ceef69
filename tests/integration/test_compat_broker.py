"""Kombu's Redis channel, as agentplatform/compat.py patches it, builds one client and still delivers.

A failure after a kombu upgrade means `Channel._create_client` changed: read
RedisChannel's docstring, then adapt or drop the patch.
"""

import inspect
from collections.abc import Iterator

import pytest
from django.conf import settings
from kombu import Connection
from kombu.transport import redis as kombu_redis

from agentplatform.compat import RedisChannel, RedisTransport


def test_kombu_creates_its_clients_where_the_patch_expects() -> None:
    parameters = inspect.signature(kombu_redis.Channel._create_client).parameters
    assert list(parameters) == ["self", "asynchronous"] and parameters["asynchronous"].default is False
    assert RedisTransport.Channel is RedisChannel
    assert settings.CELERY_BROKER_TRANSPORT == "agentplatform.compat:RedisTransport"


@pytest.fixture
def connection() -> Iterator[Connection]:
    with Connection(settings.REDIS_URL, transport=RedisTransport) as conn:
        yield conn


def test_stock_kombu_builds_a_client_per_command() -> None:
    with Connection(settings.REDIS_URL) as conn:
        channel = conn.default_channel
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is not second  # what the patch saves; if kombu stops, drop the patch


def test_the_patched_channel_shares_one_client(connection: Connection) -> None:
    channel = connection.default_channel
    assert isinstance(channel, RedisChannel)
    with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
        assert first is second
        assert first.connection_pool is channel.pool


def test_a_new_pool_gets_a_new_client(connection: Connection) -> None:
    channel = connection.default_channel
    with channel.conn_or_acquire() as before:
        pass
    channel._pool = None  # as after a reconnection
    with channel.conn_or_acquire() as after:
        assert after is not before and after.connection_pool is channel.pool


def test_messages_still_go_through(connection: Connection) -> None:
    queue = connection.SimpleQueue("compat-broker-test")
    try:
        queue.put({"hello": "world"})
        message = queue.get(timeout=5)
        message.ack()
        assert message.payload == {"hello": "world"}
    finally:
        queue.queue.delete()
        queue.close()
