"""Kombu's Redis transport, minus a client construction per broker command.

Kombu builds a new `redis.Redis` object for every synchronous command it sends
(publish, the unacked bookkeeping at delivery, the ack). With redis-py 8 that
costs ~0.17 ms of Python each (a fresh table of ~200 response callbacks), a few
times per run in the worker and in the API. A client is only a thin handle on
the channel's connection pool and is safe to share between threads, so each
channel keeps one. Selected by `CELERY_BROKER_TRANSPORT` for `redis://` URLs.
"""

from typing import Any

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _shared_client: Any = None

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:
            return super()._create_client(asynchronous=True)
        client = self._shared_client
        # A channel that reconnected has a new pool: the old handle would point at the dead one.
        if client is None or client.connection_pool is not self.pool:
            client = self._shared_client = super()._create_client()
        return client


class Transport(kombu_redis.Transport):
    Channel = Channel
