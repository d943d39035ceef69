"""langgraph.json's `store` section: index and ttl are read and checked; the embed function is resolved."""

import json
import re
from pathlib import Path

import pytest

from apps.graphs.config import GraphConfigError, load_config, parse_store_config
from apps.graphs.registry import GraphRegistry, _names_python_object
from apps.graphs.store import pgvector_missing_message
from tests.conftest import FIXTURE_APP

STORE_CONFIG = FIXTURE_APP / "langgraph-store.json"


def test_the_fixture_store_section_is_read() -> None:
    store = load_config(STORE_CONFIG).store
    assert store.index == {"dims": 64, "embed": "./embeddings.py:aembed", "fields": ["text"]}
    assert store.ttl == {"default_ttl": 60, "refresh_on_read": True, "sweep_interval_minutes": 1}


def test_no_store_section_means_no_index_and_no_ttl() -> None:
    assert parse_store_config(None).index is None and parse_store_config(None).ttl is None


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ({"index": {"dims": 0, "embed": "./e.py:f"}}, "dims must be a positive integer"),
        ({"index": {"dims": True, "embed": "./e.py:f"}}, "dims must be a positive integer"),
        ({"index": {"dims": 8}}, "embed must be a string"),
        ({"index": {"dims": 8, "embed": "./e.py:f", "fields": "text"}}, "fields must be a list"),
        ({"ttl": {"default_ttl": -1}}, "default_ttl must be a positive number"),
        ({"ttl": {"refresh_on_read": "yes"}}, "refresh_on_read must be true or false"),
        ([], "must be an object"),
    ],
)
def test_a_bad_store_section_is_an_error_naming_the_key(store: object, message: str) -> None:
    with pytest.raises(GraphConfigError, match=message):
        parse_store_config(store)


def test_an_async_embed_function_is_usable_from_sync_code_too() -> None:
    registry = GraphRegistry(load_config(STORE_CONFIG))
    vector = registry.embeddings.embed_query("pizza")
    assert len(vector) == 64 and abs(sum(x * x for x in vector) - 1.0) < 1e-9
    assert registry.embeddings.embed_documents(["pizza"]) == [vector]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("json:dumps", True), ("os.path:join", True), ("openai:text-embedding-3-small", False), ("nomodule_xyz:f", False)],
)
def test_module_attr_is_told_apart_from_provider_model(target: str, expected: bool) -> None:
    assert _names_python_object(target) is expected


def test_a_broken_embed_entry_stops_loading(tmp_path: Path) -> None:
    config = tmp_path / "langgraph.json"
    graphs = {"g": f"{FIXTURE_APP / 'graphs.py'}:slow"}
    config.write_text(json.dumps({"graphs": graphs, "store": {"index": {"dims": 4, "embed": "./missing.py:f"}}}))
    with pytest.raises(GraphConfigError, match="does not exist"):
        GraphRegistry(load_config(config))
    config.write_text(json.dumps({"graphs": graphs, "store": {"index": {"dims": 4, "embed": "acme:embed-v1"}}}))
    with pytest.raises(GraphConfigError, match="store.index.embed: 'acme:embed-v1' cannot be used"):
        GraphRegistry(load_config(config))


def test_a_server_without_pgvector_is_told_to_install_it() -> None:
    message = pgvector_missing_message(available=False, role="app", database="agents")
    assert re.match(r"langgraph\.json store\.index .* needs the pgvector extension \('vector'\)", message)
    assert "install pgvector" in message and "remove store.index" in message
    assert "CREATE EXTENSION" not in message  # no superuser can create what the server lacks


def test_a_role_that_may_not_create_pgvector_is_told_to_ask_a_superuser() -> None:
    message = pgvector_missing_message(available=True, role="app", database="agents")
    assert re.match(r"langgraph\.json store\.index .* needs the pgvector extension \('vector'\)", message)
    assert "role 'app' may not create it" in message
    assert "ask a superuser to run `CREATE EXTENSION vector;` in database 'agents'" in message
    assert "install pgvector" not in message  # the server has it
