"""The door check names the first value PostgreSQL or our encoders cannot hold, and passes everything else."""

import pytest

from apps.core.parsers import MAX_JSON_DEPTH, json_problem


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        ({"metadata": {"n": 2**63}}, "metadata.n", "integer out of range"),
        ({"metadata": {"n": -(2**63) - 1}}, "metadata.n", "integer out of range"),
        ({"x": [1, float("inf")]}, "x[1]", "number out of range"),
        ({"a": [{"b": "x\x00"}]}, "a[0].b", "null characters"),
        ({"m": {"k\x00": 1}}, "m", "key 'k\\x00': null characters"),
        ({"m": ["\ud800"]}, "m[0]", "lone surrogate"),
        ({"m": {"\udfff": 1}}, "m", "lone surrogate"),
        ({"deep": nested(MAX_JSON_DEPTH)}, "deep" + "[0]" * (MAX_JSON_DEPTH - 1), "nested deeper"),
        ("\x00", "", "null characters"),
    ],
)
def test_what_cannot_be_stored_is_named(data: object, path: str, reason: str) -> None:
    found = json_problem(data)
    assert found is not None
    assert found[0] == path
    assert reason in found[1]


def test_what_can_be_stored_passes() -> None:
    fine = {
        "ints": [2**63 - 1, -(2**63), 0, True, None],
        "floats": [1e308, -1e-308, 0.5],
        "text": ["é", "\u2028", "\U0001f600", "a\\u0000b (an escaped backslash, not a NUL)"],
        "deep": nested(MAX_JSON_DEPTH - 2),
    }
    assert json_problem(fine) is None
