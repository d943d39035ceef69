"""langgraph.json's checkpointer.ttl section: parsed, validated, and tolerated by settings."""

import json
from pathlib import Path

import pytest

from apps.graphs.config import CheckpointTTL, GraphConfigError, load_config, read_ttl_sweep_minutes


def write_config(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"agent": "./graph.py:graph"}, **extra}))
    return path


def test_ttl_section_is_read(tmp_path: Path) -> None:
    ttl = {"strategy": "delete", "sweep_interval_minutes": 60, "default_ttl": 43200}
    config = load_config(write_config(tmp_path, checkpointer={"ttl": ttl}))
    assert config.checkpoint_ttl == CheckpointTTL("delete", default_ttl=43200, sweep_interval_minutes=60)
    assert read_ttl_sweep_minutes(config.path) == 60


def test_no_ttl_section_means_no_default(tmp_path: Path) -> None:
    assert load_config(write_config(tmp_path)).checkpoint_ttl == CheckpointTTL()
    assert load_config(write_config(tmp_path, checkpointer={})).checkpoint_ttl.default_ttl is None


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        ({"strategy": "archive"}, "strategy"),
        ({"default_ttl": -5}, "default_ttl"),
        ({"sweep_interval_minutes": "hourly"}, "sweep_interval_minutes"),
        ("60", "must be an object"),
    ],
)
def test_bad_ttl_section_is_refused(tmp_path: Path, ttl: object, message: str) -> None:
    with pytest.raises(GraphConfigError, match=message):
        load_config(write_config(tmp_path, checkpointer={"ttl": ttl}))


def test_settings_reader_tolerates_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "langgraph.json"
    broken.write_text("{not json")
    assert read_ttl_sweep_minutes(broken) is None
    assert read_ttl_sweep_minutes(tmp_path / "missing.json") is None
