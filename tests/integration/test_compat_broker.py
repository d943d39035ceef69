"""Kombu's Redis channel, as agentplatform/compat.py patches it, builds one client and still delivers.

A failure after a kombu upgrade means `Channel._create_client` changed: read
RedisChannel's docstring, then adapt or drop the patch.
"""

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from kombu import Connection
from kombu.common import ignore_errors
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


def close_after_its_connection(connection: Connection) -> Any:
    """What Celery's consumer does on a broker loss, in the order that kills a stock worker:
    a channel holding an unacked message is closed after its connection let go of it."""
    queue = connection.SimpleQueue("compat-broker-close-test")
    try:
        queue.put({"unacked": True})
        queue.get(timeout=5)  # delivered, not acked: closing the channel restores it
        channel = queue.consumer.channel
        channel._disconnect_pools()
        channel.connection.client = None
        ignore_errors(connection, channel.close)
        return channel
    finally:
        with Connection(settings.REDIS_URL) as cleanup:
            cleanup.SimpleQueue("compat-broker-close-test").queue.delete()


def test_stock_kombu_dies_closing_a_channel_after_its_connection() -> None:
    with Connection(settings.REDIS_URL) as conn, pytest.raises(AttributeError):
        close_after_its_connection(conn)  # if kombu stops raising here, drop RedisChannel._get_pool


def test_the_patched_channel_closes_after_its_connection(connection: Connection) -> None:
    channel = close_after_its_connection(connection)
    assert channel.closed  # no AttributeError on the way; Celery's consumer goes on reconnecting
