from dataclasses import dataclass

from langchain_core.messages import AIMessage, HumanMessage

from apps.core.errors import format_validation_errors
from apps.core.jsonutil import dumps, loads, normalize


def test_langchain_messages_serialize_like_upstream() -> None:
    data = normalize({"messages": [HumanMessage("hi", id="1"), AIMessage("yo", id="2")]})
    human, ai = data["messages"]
    assert human["type"] == "human" and human["content"] == "hi" and human["id"] == "1"
    assert ai["type"] == "ai" and ai["tool_calls"] == []


def test_dataclasses_tuples_and_exceptions_serialize() -> None:
    @dataclass
    class Point:
        x: int

    assert normalize({"p": Point(1), "t": (1, 2), "e": ValueError("no")}) == {
        "p": {"x": 1},
        "t": [1, 2],
        "e": {"error": "ValueError", "message": "no"},
    }
    assert loads(b'{"a": 1}') == {"a": 1}


def test_validation_errors_name_each_field() -> None:
    message = format_validation_errors({"assistant_id": ["This field is required."], "config": {"x": ["bad"]}})
    assert message == "assistant_id: This field is required.; config.x: bad"


def test_integers_wider_than_64_bits_are_written_as_floats() -> None:
    """jsonb gives a large float back as its digits (1e123 reads as a 124-digit int); orjson alone refuses those."""
    assert loads(dumps({"a": 10**123, "b": [-(2**70), 5], "c": 2**64 - 1, "d": 10**400})) == {
        "a": 1e123,
        "b": [-(2.0**70), 5],
        "c": 2**64 - 1,
        "d": None,
    }
