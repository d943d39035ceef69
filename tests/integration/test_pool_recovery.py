"""After PostgreSQL drops the connections a pool holds (a restart, a failover), the pool hands out working ones."""

import os
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import OperationalError, connection
from psycopg_pool import PoolTimeout

from apps.core import dbpools
from apps.graphs.checkpointer import open_sync_pool

pytestmark = pytest.mark.django_db(transaction=True)


def cut_connections(database: str, pids: list[int]) -> None:
    admin_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def backend_pids(pool: object, count: int) -> list[int]:
    """Check out `count` connections at once (so the pool holds that many), note their backends."""
    held = [pool.getconn() for _ in range(count)]
    pids = [conn.info.backend_pid for conn in held]
    for conn in held:
        pool.putconn(conn)
    return pids


def test_a_connection_cut_while_idle_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbpools, "CHECK_AFTER_IDLE_S", 0.2)
    pool = open_sync_pool(3)
    try:
        pids = backend_pids(pool, 3)
        cut_connections(connection.settings_dict["NAME"], pids)
        time.sleep(0.3)  # idle past CHECK_AFTER_IDLE_S: checked before being handed out
        for _ in range(4):
            try:
                with pool.connection() as conn:
                    assert conn.execute("SELECT 1").fetchone() is not None
                    assert conn.info.backend_pid not in pids
            except PoolTimeout:
                # psycopg_pool pauses ~1 s after a failed check: past DB_POOL_TIMEOUT_S, so that
                # checkout is a 503; the dead connection was discarded all the same.
                pass
        with pool.connection() as conn:
            assert conn.execute("SELECT 1").fetchone() is not None
        assert pool.get_stats().get("connections_lost", 0) + pool.get_stats().get("requests_errors", 0) >= 1
    finally:
        pool.close()


def test_an_outage_error_has_every_pool_drop_its_dead_idle_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = open_sync_pool(3)
    try:
        pids = backend_pids(pool, 3)
        cut_connections(connection.settings_dict["NAME"], pids)
        # Used at once (within CHECK_AFTER_IDLE_S): no check at checkout, so the first use fails ...
        with pytest.raises(psycopg.OperationalError), pool.connection() as conn:
            conn.execute("SELECT 1")
        # ... and that outage error (as the API's 503 or a worker's retry do) has the pools checked.
        monkeypatch.setattr(dbpools, "_last_check", 0.0)  # whatever other tests checked before
        assert dbpools.check_idle_connections()
        deadline = time.monotonic() + 5
        while pool.get_stats().get("connections_lost", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        for _ in range(3):
            with pool.connection() as conn:
                assert conn.info.backend_pid not in pids
                conn.execute("SELECT 1")
    finally:
        pool.close()


def test_djangos_pool_never_hands_out_a_connection_cut_while_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbpools, "CHECK_AFTER_IDLE_S", 0.2)
    connection.close()  # the test's own connection goes back to the pool too
    pids = backend_pids(connection.pool, 2)
    cut_connections(connection.settings_dict["NAME"], pids)
    time.sleep(0.3)  # idle past CHECK_AFTER_IDLE_S: checked before being handed out
    for _ in range(3):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                assert cursor.fetchone()[0] not in pids
        except OperationalError as exc:  # Django's wrapping of a PoolTimeout, as above: a 503
            if not isinstance(exc.__cause__, PoolTimeout):
                raise  # a dead connection was handed out
        finally:
            connection.close()
