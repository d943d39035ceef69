"""A thread's state read for people: the transcript and other keys, and checkpoints as timed steps."""

import datetime

from apps.console.conversation import split_state, steps_from_history

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=datetime.UTC)


def at(seconds: float) -> str:
    return (T0 + datetime.timedelta(seconds=seconds)).isoformat()


def checkpoint(seconds: float, tasks: list[dict], step: int, source: str = "loop") -> dict:
    return {"created_at": at(seconds), "tasks": tasks, "metadata": {"step": step, "source": source}}


def task(name: str, error: str | None = None, interrupts: list | None = None) -> dict:
    return {"name": name, "error": error, "interrupts": interrupts or []}


def test_messages_become_a_transcript_and_the_rest_stays_state() -> None:
    values = {
        "messages": [
            {"type": "human", "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": "x"}]},
            {"type": "ai", "content": "", "tool_calls": [{"name": "lookup", "args": {"q": 1}, "id": "c1"}]},
            {"type": "tool", "content": "42", "tool_call_id": "c1", "name": "lookup"},
        ],
        "summary": "short",
    }
    transcript, others = split_state(values)
    assert [m.role for m in transcript] == ["human", "ai", "tool"]
    assert transcript[0].text.startswith("hi\n") and '"image_url": "x"' in transcript[0].text
    assert [(c.name, c.call_id) for c in transcript[1].tool_calls] == [("lookup", "c1")]
    assert '"q": 1' in transcript[1].tool_calls[0].args
    assert transcript[2].tool_call_id == "c1"
    assert others == [("summary", '"short"')]


def test_messages_under_another_key_are_found_and_dict_roles_understood() -> None:
    transcript, others = split_state({"chat": [{"role": "user", "content": "hey"}], "n": 1})
    assert [(m.role, m.text) for m in transcript] == [("human", "hey")]
    assert others == [("n", "1")]


def test_steps_last_from_one_checkpoint_to_the_next_and_a_failed_one_until_the_run_ended() -> None:
    history = [  # newest first, as the threads service returns it
        checkpoint(1.5, [task("explode", error="str: ValueError('boom')")], step=1),
        checkpoint(1.0, [task("plan")], step=0),
        checkpoint(0.5, [task("__start__")], step=-1, source="input"),
    ]
    rows = steps_from_history(history, ended_at=T0 + datetime.timedelta(seconds=2))
    assert [(r.node, r.duration_s, r.outcome) for r in rows] == [
        ("input", 0.5, "done"),
        ("plan", 0.5, "done"),
        ("explode", 0.5, "error"),
    ]
    assert rows[2].error == "ValueError('boom')"


def test_an_interrupted_step_waits_and_a_state_update_is_its_own_step() -> None:
    history = [
        checkpoint(3.0, [task("ask", interrupts=[{"value": "ok?"}])], step=2),
        checkpoint(2.0, [], step=1, source="update"),
        checkpoint(1.0, [], step=0),  # the end of an earlier run: nothing ran after it
    ]
    rows = steps_from_history(history)
    summary = [(r.node, r.duration_s, r.outcome) for r in rows]
    assert summary == [("state update", 0.0, "done"), ("ask", None, "interrupted")]
