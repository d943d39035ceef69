"""What `manage.py dev` watches for reload: the app's folders, only files that change behaviour."""

import json
from pathlib import Path

from watchfiles import Change

from apps.devserver.reload import ReloadFilter, watched_paths
from apps.graphs.config import load_config
from tests.conftest import FIXTURE_CONFIG

REPO = Path(__file__).resolve().parents[2]


def test_the_config_folder_and_local_dependencies_are_watched_outermost_only(tmp_path: Path) -> None:
    assert set(watched_paths(load_config(FIXTURE_CONFIG))) == {FIXTURE_CONFIG.parent, REPO / "src"}
    (tmp_path / "pkg").mkdir()
    (tmp_path / "graph.py").write_text("graph = None\n")
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"dependencies": [".", "./pkg", "langchain-openai"], "graphs": {"g": "./graph.py:g"}}))
    assert watched_paths(load_config(config)) == [tmp_path]


def test_filter_takes_code_and_config_and_skips_data_caches_and_environments(tmp_path: Path) -> None:
    data = tmp_path / ".agentplatform"
    accepts = ReloadFilter(ignore_paths=[tmp_path / "my-data"])
    for path in ("graph.py", "langgraph.json", ".env", "pkg/pyproject.toml", "prompts.yaml"):
        assert accepts(Change.modified, str(tmp_path / path)), path
    for path in (
        "notes.md",
        "graph.pyc",
        "__pycache__/graph.cpython-311.pyc",
        ".venv/lib/site.py",
        ".git/config.json",
        "node_modules/x/package.json",
        "my-data/postgres/postgresql.auto.conf.json",
        f"{data.name}/redis/appendonly.json",
    ):
        assert not accepts(Change.modified, str(tmp_path / path)), path
