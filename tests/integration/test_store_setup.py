"""`manage.py prepare` sets up the store's vector index, or stops with a clear message when pgvector cannot be had.

The test PostgreSQL has pgvector, so "cannot be had" is made real the way managed
PostgreSQL makes it: the app connects as a role that owns its database but is no
superuser, and pgvector is not a trusted extension. (A server without pgvector at
all is covered by the message's unit test in tests/unit/test_store_config.py.)
"""

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from tests.conftest import FIXTURE_APP, REPO

STORE_CONFIG = FIXTURE_APP / "langgraph-store.json"
PREPARE_TIMEOUT_S = 120


class RestrictedDatabase:
    """A fresh database owned by a fresh LOGIN role that is no superuser, on the test server."""

    def __init__(self) -> None:
        suffix = secrets.token_hex(4)
        self.role = f"app_{suffix}"
        self.name = f"restricted_{suffix}"
        self.password = secrets.token_hex(16)

    def url(self, user: str | None = None, password: str | None = None) -> str:
        parts = urlsplit(os.environ["DATABASE_URL"])
        host = parts.netloc.rsplit("@", 1)[-1]
        netloc = f"{quote(user, safe='')}:{quote(password or '', safe='')}@{host}" if user else parts.netloc
        return urlunsplit(parts._replace(netloc=netloc, path=f"/{self.name}"))

    @property
    def app_url(self) -> str:
        return self.url(self.role, self.password)

    def superuser(self) -> psycopg.Connection:
        """The test server's own (superuser) role, in this database."""
        return psycopg.connect(self.url(), autocommit=True)


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path="/postgres")), autocommit=True)


@pytest.fixture
def restricted_database() -> Iterator[RestrictedDatabase]:
    database = RestrictedDatabase()
    with admin_connection() as admin:
        # The test server's role must be a superuser to make roles; if not, this fails (never skips).
        admin.execute(f"CREATE ROLE {database.role} LOGIN NOSUPERUSER PASSWORD '{database.password}'")
        admin.execute(f"CREATE DATABASE {database.name} OWNER {database.role}")
    try:
        yield database
    finally:
        with admin_connection() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {database.role}")


def run_prepare(database_url: str) -> subprocess.CompletedProcess:
    """`manage.py prepare` as a deployment runs it, with its own DATABASE_URL and the store-index config."""
    env = {**os.environ, "DATABASE_URL": database_url, "LANGGRAPH_CONFIG": str(STORE_CONFIG)}
    return subprocess.run(
        [sys.executable, "manage.py", "prepare"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=PREPARE_TIMEOUT_S,
    )


def vector_setup(conn: psycopg.Connection) -> tuple[bool, str | None]:
    """(is pgvector created in the database, the vectors table's name if it exists)."""
    installed = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')").fetchone()[0]
    vectors = conn.execute("SELECT to_regclass('store_vectors')::text").fetchone()[0]
    return installed, vectors


def test_prepare_as_a_role_that_may_not_create_pgvector_names_the_remedy(
    restricted_database: RestrictedDatabase,
) -> None:
    with restricted_database.superuser() as conn:
        assert conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone(), (
            "the test PostgreSQL must have pgvector for this test"
        )

    refused = run_prepare(restricted_database.app_url)
    assert refused.returncode != 0, refused.stdout + refused.stderr
    db, role = restricted_database.name, restricted_database.role
    assert (
        f"langgraph.json store.index (semantic search) needs the pgvector extension ('vector') in database '{db}', "
        f"and role '{role}' may not create it: ask a superuser to run `CREATE EXTENSION vector;` "
        f"in database '{db}', then run `manage.py prepare` again"
    ) in refused.stderr
    assert "Traceback" not in refused.stderr  # a CommandError, not a crash
    with restricted_database.superuser() as conn:
        assert vector_setup(conn) == (False, None)  # nothing half-made
        assert conn.execute("SELECT to_regclass('store')::text").fetchone()[0] == "store"  # the rest was prepared

        # The remedy the message names is enough: the app's role then sets up the vector index itself.
        conn.execute("CREATE EXTENSION vector")
    prepared = run_prepare(restricted_database.app_url)
    assert prepared.returncode == 0, prepared.stderr
    with restricted_database.superuser() as conn:
        assert vector_setup(conn) == (True, "store_vectors")
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'store_vectors'").fetchone()[0]
        assert owner == role


@pytest.mark.django_db(transaction=True)
def test_prepare_without_an_index_needs_no_pgvector() -> None:
    call_command("prepare")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('store'), to_regclass('store_vectors')")
        store, vectors = cursor.fetchone()
    assert store == "store"
    assert vectors is None
