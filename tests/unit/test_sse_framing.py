"""SSE frames are what the official SDK's decoder reads back."""

from langgraph_sdk.sse import SSEDecoder

from apps.core.jsonutil import dumps
from apps.runs.sse import sse_frame


def decode(raw: bytes) -> list:
    decoder = SSEDecoder()
    parts = []
    for line in raw.split(b"\n"):
        part = decoder.decode(line)
        if part is not None:
            parts.append(part)
    return parts


def test_frame_round_trips_through_the_sdk_decoder() -> None:
    raw = sse_frame("values", dumps({"messages": [{"content": "hi"}]}), "1-0")
    [part] = decode(raw)
    assert part.event == "values"
    assert part.data == {"messages": [{"content": "hi"}]}
    assert part.id == "1-0"


def test_frame_without_id_has_no_id_line() -> None:
    raw = sse_frame("metadata", dumps({"run_id": "r"}))
    assert b"id:" not in raw
    [part] = decode(raw)
    assert part.data == {"run_id": "r"}
