"""Checkpointer factories over langgraph-checkpoint-postgres.

The API process reads state with a sync PostgresSaver on a small pool; the worker
runs graphs on an asyncio loop with an AsyncPostgresSaver on its own pool. Both
use the Django database, so tests (which rename it) and production agree.
"""

import asyncio
import threading
import weakref

from django.conf import settings
from django.db import connections
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from agentplatform.compat import widen_saver_lock
from apps.core.dbpools import pool_options, register
from apps.graphs.config import get_config

CONNECTION_KWARGS = {
    "autocommit": True,
    "prepare_threshold": 0,
    "row_factory": dict_row,
    "connect_timeout": settings.DB_CONNECT_TIMEOUT_S,
}
# The worker's checkpoint writes commit without waiting for the WAL flush (a trivial
# run writes three checkpoints plus their writes, each an fsync otherwise). Durability
# is unchanged where it is promised: the run's terminal status is committed afterwards,
# synchronously, on another connection, and flushing the WAL up to that commit makes
# every earlier commit durable too. A worker crash loses nothing (PostgreSQL has the
# rows); only a PostgreSQL crash may lose the last ~0.6 s of an unfinished run's
# checkpoints, and that run is retried from the last durable one.
WORKER_CONNECTION_KWARGS = {
    **CONNECTION_KWARGS,
    **({"options": "-c synchronous_commit=off"} if settings.CHECKPOINT_ASYNC_COMMIT else {}),
}

_sync_saver: PostgresSaver | None = None
_sync_lock = threading.Lock()
_async_savers: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncPostgresSaver]" = weakref.WeakKeyDictionary()


def database_conninfo() -> str:
    """libpq conninfo for the Django default database (test database included)."""
    cfg = connections["default"].settings_dict
    parts = {
        "dbname": cfg.get("NAME"),
        "user": cfg.get("USER"),
        "password": cfg.get("PASSWORD"),
        "host": cfg.get("HOST"),
        "port": str(cfg["PORT"]) if cfg.get("PORT") else None,
    }
    return make_conninfo(**{k: v for k, v in parts.items() if v})


def _pool_arguments(max_size: int, kwargs: dict, *, is_async: bool) -> dict:
    """A pool on the Django database (outage behaviour: apps/core/dbpools.py)."""
    options = pool_options(is_async=is_async)
    return {"conninfo": database_conninfo(), "min_size": 1, "max_size": max_size, "kwargs": kwargs, **options}


def open_sync_pool(max_size: int) -> ConnectionPool:
    """A psycopg pool on the Django database, in the form langgraph's Postgres classes expect."""
    pool = ConnectionPool(**_pool_arguments(max_size, CONNECTION_KWARGS, is_async=False), open=True)
    register(pool)
    return pool


async def open_async_pool(max_size: int, connection_kwargs: dict | None = None) -> AsyncConnectionPool:
    kwargs = connection_kwargs or CONNECTION_KWARGS
    pool = AsyncConnectionPool(**_pool_arguments(max_size, kwargs, is_async=True), open=False)
    await pool.open()
    register(pool)
    return pool


def setup_checkpointer_tables() -> None:
    """Create/upgrade the checkpoint tables (idempotent; run by `migrate`)."""
    with PostgresSaver.from_conn_string(database_conninfo()) as saver:
        saver.setup()


def configured_serde() -> JsonPlusSerializer | None:
    """langgraph.json's `checkpointer.serde`, or None for the savers' default serializer."""
    serde = get_config().checkpoint_serde
    return None if serde is None else JsonPlusSerializer(**serde)


def get_sync_checkpointer() -> PostgresSaver:
    global _sync_saver
    if _sync_saver is None:
        with _sync_lock:
            if _sync_saver is None:
                pool = open_sync_pool(settings.CHECKPOINTER_POOL_SIZE)
                saver = PostgresSaver(pool, serde=configured_serde())
                widen_saver_lock(saver, pool.max_size)
                _sync_saver = saver
    return _sync_saver


async def get_async_checkpointer() -> AsyncPostgresSaver:
    """One saver (and pool) per event loop."""
    loop = asyncio.get_running_loop()
    saver = _async_savers.get(loop)
    if saver is None:
        pool = await open_async_pool(settings.CHECKPOINTER_POOL_SIZE, WORKER_CONNECTION_KWARGS)
        saver = AsyncPostgresSaver(pool, serde=configured_serde())
        widen_saver_lock(saver, pool.max_size)
        _async_savers[loop] = saver
    return saver


def reset_checkpointers() -> None:
    """Close every pool (tests switch databases; workers shut down)."""
    global _sync_saver
    if _sync_saver is not None:
        _sync_saver.conn.close()
    _sync_saver = None
    for loop, saver in list(_async_savers.items()):
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(saver.conn.close(), loop).result(timeout=10)
    _async_savers.clear()


# langgraph-checkpoint-postgres declares `delete_for_runs` but does not implement
# it; rollback needs exactly that. Checkpoints carry their run id in metadata
# (we put it in the run config's metadata), so these statements remove a run's
# checkpoints, their pending writes, and the channel blobs no remaining
# checkpoint of the thread refers to.
DELETE_RUN_CHECKPOINTS_SQL = [
    """
    DELETE FROM checkpoint_writes w USING checkpoints c
    WHERE c.thread_id = %(thread_id)s AND c.metadata->>'run_id' = %(run_id)s
      AND w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns AND w.checkpoint_id = c.checkpoint_id
    """,
    "DELETE FROM checkpoints WHERE thread_id = %(thread_id)s AND metadata->>'run_id' = %(run_id)s",
    """
    DELETE FROM checkpoint_blobs b
    WHERE b.thread_id = %(thread_id)s AND NOT EXISTS (
        SELECT 1 FROM checkpoints c
        WHERE c.thread_id = b.thread_id AND c.checkpoint_ns = b.checkpoint_ns
          AND c.checkpoint->'channel_versions'->>b.channel = b.version
    )
    """,
]


def delete_run_checkpoints(thread_id: str, run_id: str) -> None:
    """Remove every checkpoint a run wrote, in one transaction (rollback)."""
    _execute_in_one_transaction(DELETE_RUN_CHECKPOINTS_SQL, {"thread_id": thread_id, "run_id": run_id})


def _execute_in_one_transaction(statements: list[str], params: dict[str, str]) -> list[int]:
    """Run our statements on the checkpointer's pool, all or nothing; their row counts."""
    with get_sync_checkpointer().conn.connection() as conn, conn.transaction():
        return [conn.execute(statement, params).rowcount for statement in statements]


# `copy_thread` is declared by BaseCheckpointSaver but not implemented by the
# Postgres saver: copying a thread copies every checkpoint, write and blob (the
# whole parent chain, as the base class asks), re-keyed to the new thread.
COPY_THREAD_CHECKPOINTS_SQL = [
    """
    INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint, metadata)
    SELECT %(target)s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
        CASE WHEN metadata ? 'thread_id' THEN jsonb_set(metadata, '{thread_id}', to_jsonb(%(target)s::text))
             ELSE metadata END
    FROM checkpoints WHERE thread_id = %(source)s
    """,
    """
    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(target)s, checkpoint_ns, channel, version, type, blob FROM checkpoint_blobs WHERE thread_id = %(source)s
    """,
    """
    INSERT INTO checkpoint_writes
        (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path)
    SELECT %(target)s, checkpoint_ns, checkpoint_id, task_id, idx, channel, type, blob, task_path
    FROM checkpoint_writes WHERE thread_id = %(source)s
    """,
]


def copy_thread_checkpoints(source_thread_id: str, target_thread_id: str) -> None:
    """Copy a thread's whole checkpoint history to another thread id, in one transaction."""
    _execute_in_one_transaction(COPY_THREAD_CHECKPOINTS_SQL, {"source": source_thread_id, "target": target_thread_id})


# `keep_latest` (thread prune and TTL): of each checkpoint namespace of the thread only
# the newest checkpoint stays (checkpoint ids sort by time, as the saver's own
# `ORDER BY checkpoint_id DESC` assumes), with its pending writes and the blobs it uses.
KEEP_LATEST_CHECKPOINT_SQL = [
    """
    DELETE FROM checkpoint_writes w
    WHERE w.thread_id = %(thread_id)s AND w.checkpoint_id < (
        SELECT max(c.checkpoint_id) FROM checkpoints c
        WHERE c.thread_id = w.thread_id AND c.checkpoint_ns = w.checkpoint_ns
    )
    """,
    """
    DELETE FROM checkpoints c
    WHERE c.thread_id = %(thread_id)s AND c.checkpoint_id < (
        SELECT max(l.checkpoint_id) FROM checkpoints l
        WHERE l.thread_id = c.thread_id AND l.checkpoint_ns = c.checkpoint_ns
    )
    """,
    DELETE_RUN_CHECKPOINTS_SQL[2],  # blobs no remaining checkpoint refers to
]


def keep_latest_checkpoint(thread_id: str) -> int:
    """Drop every checkpoint of the thread but the latest (per namespace), in one transaction.

    Returns how many checkpoints were deleted.
    """
    params = {"thread_id": thread_id}
    _writes, checkpoints_deleted, _blobs = _execute_in_one_transaction(KEEP_LATEST_CHECKPOINT_SQL, params)
    return checkpoints_deleted


THREAD_STORAGE_SQL = {
    "checkpoints": """
        SELECT count(*), coalesce(sum(pg_column_size(checkpoint) + pg_column_size(metadata)), 0)
        FROM checkpoints WHERE thread_id = %(thread_id)s
    """,
    "channel_values": """
        SELECT channel, count(*), coalesce(sum(coalesce(octet_length(blob), 0)), 0)
        FROM checkpoint_blobs WHERE thread_id = %(thread_id)s GROUP BY channel ORDER BY channel
    """,
    "pending_writes": """
        SELECT count(*), coalesce(sum(octet_length(blob)), 0) FROM checkpoint_writes WHERE thread_id = %(thread_id)s
    """,
}


def thread_storage(thread_id: str) -> dict:
    """Bytes the thread's checkpoints take, as stored (upstream's ThreadStorage shape)."""
    params = {"thread_id": thread_id}
    with get_sync_checkpointer().conn.connection() as conn:
        checkpoints = conn.execute(THREAD_STORAGE_SQL["checkpoints"], params).fetchone()
        channels = conn.execute(THREAD_STORAGE_SQL["channel_values"], params).fetchall()
        writes = conn.execute(THREAD_STORAGE_SQL["pending_writes"], params).fetchone()
    # The pool's rows are dicts (CONNECTION_KWARGS): read them by position.
    checkpoint_count, checkpoint_bytes = list(checkpoints.values())
    write_count, write_bytes = list(writes.values())
    by_channel = {}
    for row in channels:
        channel, versions, size = list(row.values())
        by_channel[channel] = {"versions": versions, "bytes": size}
    channel_bytes = sum(c["bytes"] for c in by_channel.values())
    return {
        "thread_id": thread_id,
        "total_bytes": checkpoint_bytes + channel_bytes + write_bytes,
        "checkpoints": {"count": checkpoint_count, "bytes": checkpoint_bytes},
        "channel_values": {
            "count": sum(c["versions"] for c in by_channel.values()),
            "bytes": channel_bytes,
            "by_channel": by_channel,
        },
        "pending_writes": {"count": write_count, "bytes": write_bytes},
    }
