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
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, ConnectionPool

CONNECTION_KWARGS = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
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


def setup_checkpointer_tables() -> None:
    """Create/upgrade the checkpoint tables (idempotent; run by `migrate`)."""
    with PostgresSaver.from_conn_string(database_conninfo()) as saver:
        saver.setup()


def get_sync_checkpointer() -> PostgresSaver:
    global _sync_saver
    if _sync_saver is None:
        with _sync_lock:
            if _sync_saver is None:
                pool = ConnectionPool(
                    database_conninfo(),
                    min_size=1,
                    max_size=settings.CHECKPOINTER_POOL_SIZE,
                    kwargs=CONNECTION_KWARGS,
                    open=True,
                )
                _sync_saver = PostgresSaver(pool)
    return _sync_saver


async def get_async_checkpointer() -> AsyncPostgresSaver:
    """One saver (and pool) per event loop."""
    loop = asyncio.get_running_loop()
    saver = _async_savers.get(loop)
    if saver is None:
        pool = AsyncConnectionPool(
            database_conninfo(),
            min_size=1,
            max_size=settings.CHECKPOINTER_POOL_SIZE,
            kwargs=WORKER_CONNECTION_KWARGS,
            open=False,
        )
        await pool.open()
        saver = AsyncPostgresSaver(pool)
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
    pool = get_sync_checkpointer().conn
    with pool.connection() as conn, conn.transaction():
        for statement in DELETE_RUN_CHECKPOINTS_SQL:
            conn.execute(statement, {"thread_id": thread_id, "run_id": run_id})
