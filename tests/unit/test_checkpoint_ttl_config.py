"""langgraph.json's checkpointer.ttl section: parsed, validated, and read when needed (not when settings load)."""

import json
from pathlib import Path

import pytest

from agentplatform.celery import _schedule_thread_ttl_sweep
from agentplatform.celery import app as celery_app
from apps.graphs.config import CheckpointTTL, GraphConfigError, get_config, load_config, thread_ttl_sweep_interval_s


def write_config(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"agent": "./graph.py:graph"}, **extra}))
    return path


def test_ttl_section_is_read(tmp_path: Path) -> None:
    ttl = {"strategy": "delete", "sweep_interval_minutes": 60, "default_ttl": 43200}
    config = load_config(write_config(tmp_path, checkpointer={"ttl": ttl}))
    assert config.checkpoint_ttl == CheckpointTTL("delete", default_ttl=43200, sweep_interval_minutes=60)


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


def test_the_config_read_is_the_one_settings_name_now(tmp_path: Path, settings: object) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    settings.LANGGRAPH_CONFIG = str(write_config(first))
    assert get_config().path == first / "langgraph.json"
    settings.LANGGRAPH_CONFIG = str(write_config(second, checkpointer={"ttl": {"default_ttl": 7}}))
    assert get_config().checkpoint_ttl.default_ttl == 7


def test_the_sweep_interval_comes_from_langgraph_json(tmp_path: Path, settings: object) -> None:
    settings.THREAD_TTL_SWEEP_INTERVAL_S = None
    settings.LANGGRAPH_CONFIG = str(write_config(tmp_path, checkpointer={"ttl": {"sweep_interval_minutes": 60}}))
    assert thread_ttl_sweep_interval_s() == 3600


def test_the_sweep_interval_setting_wins(tmp_path: Path, settings: object) -> None:
    settings.THREAD_TTL_SWEEP_INTERVAL_S = 42.0
    settings.LANGGRAPH_CONFIG = str(write_config(tmp_path, checkpointer={"ttl": {"sweep_interval_minutes": 60}}))
    assert thread_ttl_sweep_interval_s() == 42.0


def test_the_sweep_interval_tolerates_a_broken_file(tmp_path: Path, settings: object) -> None:
    settings.THREAD_TTL_SWEEP_INTERVAL_S = None
    broken = tmp_path / "langgraph.json"
    broken.write_text("{not json")
    settings.LANGGRAPH_CONFIG = str(broken)
    assert thread_ttl_sweep_interval_s() == 300
    settings.LANGGRAPH_CONFIG = str(tmp_path / "missing.json")
    assert thread_ttl_sweep_interval_s() == 300


def test_beat_schedules_the_thread_sweep_at_that_interval(tmp_path: Path, settings: object) -> None:
    entry = celery_app.conf.beat_schedule["sweep-thread-ttl"]
    assert entry["task"] == "threads.sweep_ttl" and entry["schedule"] == entry["options"]["expires"]
    settings.THREAD_TTL_SWEEP_INTERVAL_S = None
    settings.LANGGRAPH_CONFIG = str(write_config(tmp_path, checkpointer={"ttl": {"sweep_interval_minutes": 2}}))
    try:
        _schedule_thread_ttl_sweep(sender=celery_app)
        entry = celery_app.conf.beat_schedule["sweep-thread-ttl"]
        assert entry["schedule"] == entry["options"]["expires"] == 120
    finally:
        settings.LANGGRAPH_CONFIG = str(write_config(tmp_path))
        _schedule_thread_ttl_sweep(sender=celery_app)
