"""`manage.py prepare` sets up the store's vector index, or stops with a clear message when pgvector is missing."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from apps.graphs.registry import reset_registry
from apps.graphs.store import reset_stores
from tests.conftest import FIXTURE_APP

pytestmark = pytest.mark.django_db(transaction=True)


def pgvector_available() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return cursor.fetchone() is not None


@pytest.fixture
def store_index_config(settings: object) -> None:
    settings.LANGGRAPH_CONFIG = str(FIXTURE_APP / "langgraph-store.json")
    reset_registry()
    yield
    reset_registry()
    reset_stores()


def test_prepare_without_pgvector_names_the_missing_extension(store_index_config: None) -> None:
    if pgvector_available():
        pytest.skip("this PostgreSQL has pgvector (the e2e semantic-search tests cover prepare there)")
    with pytest.raises(CommandError, match=r"store\.index .* needs the pgvector extension \('vector'\)"):
        call_command("prepare")


def test_prepare_without_an_index_needs_no_pgvector() -> None:
    call_command("prepare")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('store'), to_regclass('store_vectors')")
        store, vectors = cursor.fetchone()
    assert store == "store"
    if not pgvector_available():
        assert vectors is None
