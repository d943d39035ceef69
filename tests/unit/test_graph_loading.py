"""langgraph.json entries load as compiled graphs, StateGraphs, factories and package paths."""

import json
from pathlib import Path

import pytest
from langgraph.pregel import Pregel

from apps.graphs.config import GraphConfigError, load_config, parse_dotenv
from apps.graphs.registry import GraphRegistry, default_assistant_id
from tests.conftest import FIXTURE_CONFIG


@pytest.fixture(scope="module")
def registry() -> GraphRegistry:
    return GraphRegistry(load_config(FIXTURE_CONFIG))


def test_file_path_entry_loads_compiled_graph(registry: GraphRegistry) -> None:
    assert isinstance(registry.get("agent").graph, Pregel)


def test_package_module_entry_loads(registry: GraphRegistry) -> None:
    assert isinstance(registry.get("packaged").graph, Pregel)


def test_uncompiled_state_graph_is_compiled(registry: GraphRegistry) -> None:
    assert isinstance(registry.get("uncompiled").graph, Pregel)


def test_factory_is_called_per_config(registry: GraphRegistry) -> None:
    loaded = registry.get("factory")
    assert loaded.graph is None
    graph = loaded.build_sync({"configurable": {"suffix": "x"}})
    assert graph.invoke({}) == {"steps": ["made-by-factory:x"]}


def test_inline_env_is_applied(registry: GraphRegistry) -> None:
    import os

    assert os.environ["FIXTURE_GREETING"] == "hello from langgraph.json"


def test_default_assistant_id_matches_upstream() -> None:
    # The id `langgraph dev` gives the default assistant of graph "agent".
    assert str(default_assistant_id("agent")) == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"


def write_config(tmp_path: Path, graphs: dict, extra: str = "") -> Path:
    (tmp_path / "mod.py").write_text("from langgraph.graph import StateGraph\nvalue = 42\n" + extra)
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": graphs}))
    return path


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("./missing.py:graph", "does not exist"),
        ("./mod.py:nothing", "has no variable 'nothing'"),
        ("./mod.py:value", "is a int"),
        ("./mod.py", "must look like"),
        ("no_such_package.mod:graph", "importing 'no_such_package.mod' failed"),
    ],
)
def test_broken_entry_names_the_graph_and_the_cause(tmp_path: Path, target: str, message: str) -> None:
    config = load_config(write_config(tmp_path, {"broken": target}))
    with pytest.raises(GraphConfigError) as error:
        GraphRegistry(config)
    assert "'broken'" in str(error.value)
    assert message in str(error.value)


def test_syntax_error_in_graph_module_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def (:\n")
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"bad": "./bad.py:graph"}}))
    with pytest.raises(GraphConfigError, match="'bad'.*SyntaxError"):
        GraphRegistry(load_config(path))


def test_config_without_graphs_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"dependencies": ["."]}))
    with pytest.raises(GraphConfigError, match="non-empty 'graphs'"):
        load_config(path)


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(GraphConfigError, match="file not found"):
        load_config(tmp_path / "nope.json")


def test_dotenv_parsing() -> None:
    text = "# comment\nA=1\nexport B='two'\nC=\"three\"\nbroken line\n"
    assert parse_dotenv(text) == {"A": "1", "B": "two", "C": "three"}
