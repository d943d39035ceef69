"""Which headers http.configurable_headers copies (upstream's rules), and how langgraph.json spells it."""

import json
from pathlib import Path

import pytest

from apps.core.headers import HeaderFilter
from apps.graphs.config import GraphConfigError, load_config


def test_includes_and_excludes_with_wildcards_case_insensitive() -> None:
    rules = HeaderFilter(includes=("x-user-id", "my-*", "*-trace-*"), excludes=("my-secret", "X-API-KEY"))
    headers = {"X-User-Id": "u", "My-Thing": "t", "my-secret": "s", "a-trace-b": "r", "x-api-key": "k", "x-user": "no"}
    assert rules.copied(headers) == {"x-user-id": "u", "my-thing": "t", "a-trace-b": "r"}


def test_only_star_is_special() -> None:
    rules = HeaderFilter(includes=("x.y", "a?"))
    assert rules.copied({"x.y": "1", "xzy": "2", "a?": "3", "ab": "4"}) == {"x.y": "1", "a?": "3"}


def test_no_includes_copies_nothing() -> None:
    assert HeaderFilter(excludes=("x-foo",)).copied({"x-bar": "1"}) == {}
    assert HeaderFilter().copied({"x-bar": "1"}) == {}


def write(tmp_path: Path, http: object) -> Path:
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps({"graphs": {"g": "./g.py:graph"}, "http": http}))
    return path


def test_langgraph_json_key(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {"configurable_headers": {"includes": ["x-*"], "excludes": ["x-api-key"]}}))
    assert config.configurable_headers == HeaderFilter(("x-*",), ("x-api-key",))
    assert not [line for line in config.ignored if "configurable_headers" in line]


@pytest.mark.parametrize("value", [["x-*"], {"includes": "x-*"}, {"excludes": [1]}])
def test_a_malformed_key_is_refused(tmp_path: Path, value: object) -> None:
    with pytest.raises(GraphConfigError, match="configurable_headers"):
        load_config(write(tmp_path, {"configurable_headers": value}))


def test_an_unknown_sub_key_is_named(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, {"configurable_headers": {"include": ["x-*"]}}))
    assert any(line.startswith("http.configurable_headers.include:") for line in config.ignored)
