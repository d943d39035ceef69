"""The protocol's events built from a run's stream entries (apps/runs/protocol.py), without servers."""

import json

import pytest

from apps.core.errors import BadRequest
from apps.runs.protocol import EventFilter, ProtocolEvent, RunTranslator
from apps.runs.streams import StreamEntry


def entry(entry_id: str, event: str, data: object) -> StreamEntry:
    return StreamEntry(entry_id, event, json.dumps(data).encode())


def chunk(text: str = "", **fields: object) -> list:
    return [{"type": "AIMessageChunk", "id": "msg-1", "content": text, "tool_call_chunks": [], **fields}, {}]


def events_of(translator: RunTranslator, *entries: StreamEntry) -> list[ProtocolEvent]:
    return [event for e in entries for event in translator.translate(e)]


def message_events(events: list[ProtocolEvent]) -> list[dict]:
    return [e.data for e in events if e.method == "messages"]


def test_streamed_tool_call_chunks_become_a_finished_tool_call() -> None:
    translator = RunTranslator("run-1", "agent")
    call = {"id": "call-1", "name": "search", "index": 0}
    events = events_of(
        translator,
        entry("1-0", "messages", chunk(tool_call_chunks=[{**call, "args": '{"q": '}])),
        entry("1-1", "messages", chunk(tool_call_chunks=[{**call, "id": None, "name": None, "args": '"x"}'}])),
        entry("1-2", "messages", chunk(chunk_position="last", usage_metadata={"input_tokens": 3, "output_tokens": 2})),
    )
    assert message_events(events) == [
        {"event": "message-start", "role": "ai", "id": "msg-1"},
        {
            "event": "content-block-start",
            "index": 0,
            "content": {"type": "tool_call_chunk", "id": "call-1", "name": "search", "args": ""},
        },
        {"event": "content-block-delta", "index": 0, "delta": {"type": "tool-call-delta", "args": '{"q": '}},
        {"event": "content-block-delta", "index": 0, "delta": {"type": "tool-call-delta", "args": '"x"}'}},
        {
            "event": "content-block-finish",
            "index": 0,
            "content": {"type": "tool_call", "id": "call-1", "name": "search", "args": {"q": "x"}},
        },
        {"event": "message-finish", "usage": {"input_tokens": 3, "output_tokens": 2}},
    ]
    # One entry, several events: the entry id, then `.1`, `.2`...
    assert [e.event_id for e in events] == ["1-0", "1-0.1", "1-0.2", "1-1", "1-2", "1-2.1"]


def test_a_message_without_a_last_chunk_is_finished_by_the_next_state_or_the_end() -> None:
    translator = RunTranslator("run-1", "agent")
    events = events_of(translator, entry("1-0", "messages", chunk("Hi")), entry("1-1", "values", {"n": 1}))
    assert [(e.method, e.data.get("event")) for e in events] == [
        ("messages", "message-start"),
        ("messages", "content-block-start"),
        ("messages", "content-block-delta"),
        ("messages", "content-block-finish"),
        ("messages", "message-finish"),
        ("values", None),
    ]
    translator.translate(entry("2-0", "messages", chunk("Bye", id="msg-2")))
    closing = translator.end({"status": "success", "output": {}}, "3-0")
    assert [e.data["event"] for e in closing] == ["content-block-finish", "message-finish", "completed"]
    assert closing[0].data["content"] == {"type": "text", "text": "Bye"}


def test_node_outputs_are_not_messages_events() -> None:
    whole = [{"type": "ai", "id": "m", "content": "done"}, {"langgraph_node": "respond"}]
    assert events_of(RunTranslator("r", "g"), entry("1-0", "messages", whole)) == []


@pytest.mark.parametrize(
    ("end", "closing"),
    [
        ({"status": "success", "output": {"x": 1}}, [("lifecycle", {"event": "completed", "graph_name": "g"})]),
        (
            {"status": "error", "error": {"error": "ValueError", "message": "boom"}},
            [("lifecycle", {"event": "failed", "graph_name": "g", "error": "boom"})],
        ),
        (
            {"status": "interrupted", "cancelled_with": "interrupt"},
            [("lifecycle", {"event": "interrupted", "graph_name": "g"})],
        ),
        (
            {"status": "success", "output": {"__interrupt__": [{"id": "i1", "value": {"q": "ok?"}}]}},
            [
                ("input.requested", {"interrupt_id": "i1", "payload": {"q": "ok?"}}),
                ("lifecycle", {"event": "interrupted", "graph_name": "g"}),
            ],
        ),
    ],
)
def test_the_run_ends_with_its_terminal_lifecycle_event(end: dict, closing: list) -> None:
    events = RunTranslator("r", "g").end(end, "9-0")
    assert [(e.method, e.data) for e in events] == closing
    assert events[-1].event_id == f"synth:r:lc||{closing[-1][1]['event']}"


def test_subgraphs_start_on_their_first_event_and_complete_when_their_task_returns() -> None:
    translator = RunTranslator("r", "g")
    events = events_of(
        translator,
        entry("1-0", "values|inner:t1", {"n": 1}),
        entry("1-1", "tasks", {"id": "t1", "name": "inner", "result": {}, "error": None, "interrupts": []}),
    )
    assert [(e.namespace, e.method, e.data.get("event")) for e in events] == [
        (("inner:t1",), "values", None),
        (("inner:t1",), "lifecycle", "started"),
        (("inner:t1",), "lifecycle", "completed"),
    ]


def test_the_interrupt_is_not_part_of_the_values() -> None:
    values = {"steps": ["a"], "__interrupt__": [{"id": "i1", "value": 1}]}
    events = events_of(
        RunTranslator("r", "g"), entry("1-0", "values", values), entry("1-1", "values", {"__interrupt__": []})
    )
    assert [e.data for e in events] == [{"steps": ["a"]}]


def test_filters() -> None:
    def event(method: str, namespace: tuple[str, ...] = (), data: object = None) -> ProtocolEvent:
        return ProtocolEvent("1-0", method, namespace, 0, data or {})

    wanted = EventFilter.parse({"channels": ["input", "custom"], "namespaces": [["inner"]], "depth": 0})
    assert wanted.matches(event("input.requested", ("inner:t1",)))
    assert wanted.matches(event("custom", ("inner:t2",), {"name": "progress"}))
    assert not wanted.matches(event("input.requested", ("inner:t1", "deeper:t3")))  # below depth 0
    assert not wanted.matches(event("input.requested", ()))  # not under the prefix
    assert not wanted.matches(event("values", ("inner:t1",)))
    assert EventFilter.parse({"channels": ["values"], "since": 7}).since == 7
    for body in ({}, {"channels": []}, {"channels": ["nope"]}, {"channels": ["values"], "since": -1}, []):
        with pytest.raises(BadRequest):
            EventFilter.parse(body)
