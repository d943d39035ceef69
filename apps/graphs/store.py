"""Store factories over langgraph-checkpoint-postgres (long-term memory, `langgraph.store.postgres`).

Built like the checkpointers: the API's sync views use a PostgresStore (one per
request thread) on a small pool per process, the worker's graphs an
AsyncPostgresStore per event loop on its own pool.
Both get langgraph.json's `store` section: `index` (semantic search, needs
pgvector) and `ttl`. Expired items are never served, swept or not.
"""

import asyncio
import threading
import weakref

import psycopg
from django.conf import settings
from langgraph.store.base import TTLConfig
from langgraph.store.postgres import AsyncPostgresStore, PostgresStore
from langgraph.store.postgres.base import PostgresIndexConfig
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from apps.graphs.checkpointer import database_conninfo, open_async_pool, open_sync_pool
from apps.graphs.config import get_config
from apps.graphs.registry import get_registry

# Minutes between sweeps of expired items when langgraph.json's store.ttl names none.
DEFAULT_SWEEP_INTERVAL_MIN = 60.0

_sync_pool_instance: ConnectionPool | None = None
_sync_lock = threading.Lock()
_sync_stores = threading.local()
_async_stores: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncPostgresStore]" = weakref.WeakKeyDictionary()


class StoreSetupError(Exception):
    """The database cannot hold the configured store (e.g. pgvector missing for `index`)."""


def index_config() -> PostgresIndexConfig | None:
    registry = get_registry()
    index = registry.config.store.index
    if index is None:
        return None
    return PostgresIndexConfig(**{**index, "embed": registry.embeddings})


def ttl_config() -> TTLConfig:
    """langgraph.json's store.ttl; expired items are omitted from reads even before a sweep deletes them."""
    configured = get_config().store.ttl or {}
    return TTLConfig(**configured, omit_expired=True)


def sweep_interval_s() -> float:
    configured = (get_config().store.ttl or {}).get("sweep_interval_minutes")
    return float(configured or DEFAULT_SWEEP_INTERVAL_MIN) * 60


def setup_store_tables() -> None:
    """Create/upgrade the store's own tables (idempotent; run by `migrate`). Vector tables: `prepare_store`."""
    with PostgresStore.from_conn_string(database_conninfo()) as store:
        store.setup()


def pgvector_missing_message(available: bool, role: str, database: str) -> str:
    """Why store.index cannot be set up, and the remedy: pgvector absent from the server, or not creatable by `role`."""
    needs = "langgraph.json store.index (semantic search) needs the pgvector extension ('vector')"
    if not available:
        return (
            f"{needs}, which this PostgreSQL server does not have: install pgvector on it "
            "(https://github.com/pgvector/pgvector), use the embedded PostgreSQL of `manage.py dev`, "
            "or remove store.index"
        )
    # pgvector is not a trusted extension: only a superuser (or a managed service's admin role) may create it.
    return (
        f"{needs} in database {database!r}, and role {role!r} may not create it: ask a superuser to run "
        f"`CREATE EXTENSION vector;` in database {database!r}, then run `manage.py prepare` again, "
        "or remove store.index"
    )


def ensure_pgvector(conn: psycopg.Connection) -> None:
    """Create pgvector in the database unless it is there; StoreSetupError naming the remedy when that fails."""
    with conn.cursor(row_factory=tuple_row) as cur:
        cur.execute(
            "SELECT current_user, current_database(), "
            "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector'), "
            "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')"
        )
        role, database, available, installed = cur.fetchone()
        if installed:
            return  # a superuser made it: the app's role needs no privilege to use it
        if not available:
            raise StoreSetupError(pgvector_missing_message(False, role, database))
        try:
            cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreSetupError(pgvector_missing_message(True, role, database)) from exc


def prepare_store() -> None:
    """Create what langgraph.json's `store.index` needs (pgvector, the vectors table); run by `prepare`.

    Raises StoreSetupError with the remedy when PostgreSQL has no pgvector or the role may not create it.
    """
    index = index_config()
    if index is None:
        return
    with PostgresStore.from_conn_string(database_conninfo(), index=index) as store:
        ensure_pgvector(store.conn)
        try:
            store.setup()
        except Exception as exc:
            raise StoreSetupError(f"setting up the store's vector index failed: {type(exc).__name__}: {exc}") from exc


def _sync_pool() -> ConnectionPool:
    global _sync_pool_instance
    if _sync_pool_instance is None:
        with _sync_lock:
            if _sync_pool_instance is None:
                _sync_pool_instance = open_sync_pool(settings.STORE_POOL_SIZE)
    return _sync_pool_instance


def get_sync_store() -> PostgresStore:
    """A store per thread, all on one pool per process.

    The sync PostgresStore holds its instance lock for every call, even on a pool
    (its async twin does not), so one shared instance would serialize all the
    request threads' store calls, embedding included.
    """
    pool = _sync_pool()
    store = getattr(_sync_stores, "store", None)
    if store is None or store.conn is not pool:
        store = PostgresStore(pool, index=index_config(), ttl=ttl_config())
        _sync_stores.store = store
    return store


async def get_async_store() -> AsyncPostgresStore:
    """One store (and pool) per event loop."""
    loop = asyncio.get_running_loop()
    store = _async_stores.get(loop)
    if store is None:
        store = AsyncPostgresStore(
            await open_async_pool(settings.STORE_POOL_SIZE), index=index_config(), ttl=ttl_config()
        )
        _async_stores[loop] = store
    return store


def reset_stores() -> None:
    """Close every pool (tests switch databases and configs; workers shut down)."""
    global _sync_pool_instance
    if _sync_pool_instance is not None:
        _sync_pool_instance.close()
    _sync_pool_instance = None
    for loop, store in list(_async_stores.items()):
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(store.conn.close(), loop).result(timeout=10)
    _async_stores.clear()
