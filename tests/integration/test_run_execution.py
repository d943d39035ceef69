"""A run created through the service executes on the checkpointer and ends in a terminal status."""

import uuid

import pytest

from apps.core.errors import InvalidInput, NotFound
from apps.core.jsonutil import loads
from apps.runs import services
from apps.runs.models import Run, RunStatus
from apps.runs.streams import END_EVENT
from apps.runs.worker import execute_thread_runs
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import create_thread, get_thread_state
from tests.integration.helpers import create_and_execute, stream_events

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "What is AI?"}]}


def test_successful_run_updates_run_thread_and_checkpoint(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "agent", "input": HELLO}, thread.thread_id)

    run.refresh_from_db()
    thread.refresh_from_db()
    assert run.status == RunStatus.SUCCESS
    assert run.started_at and run.ended_at and run.attempt == 1
    assert thread.status == ThreadStatus.IDLE
    assert thread.values["messages"][-1]["content"].startswith("AI (Artificial Intelligence)")
    assert thread.metadata["graph_id"] == "agent"
    state = get_thread_state(thread.thread_id)
    assert state["values"] == thread.values
    assert state["checkpoint"]["checkpoint_id"]


def test_events_are_streamed_then_closed_with_the_outcome(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute(
        {"assistant_id": "agent", "input": HELLO, "stream_mode": ["values", "updates", "messages-tuple"]},
        thread.thread_id,
    )
    events = stream_events(run.run_id)
    names = [name for name, _ in events]
    assert names[0] == "values"
    assert "updates" in names and "messages" in names
    assert names[-1] == END_EVENT
    end = loads(events[-1][1])
    assert end["status"] == "success"
    assert end["output"]["messages"][-1]["type"] == "ai"


def test_failing_graph_ends_in_error_with_the_message(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "failing", "input": {}}, thread.thread_id)

    run.refresh_from_db()
    thread.refresh_from_db()
    assert run.status == RunStatus.ERROR
    assert run.error == {"error": "ValueError", "message": "boom"}
    assert thread.status == ThreadStatus.ERROR
    events = dict(stream_events(run.run_id))
    assert loads(events["error"]) == {"error": "ValueError", "message": "boom"}
    assert loads(events[END_EVENT])["output"] == {"__error__": {"error": "ValueError", "message": "boom"}}


def test_interrupting_graph_leaves_thread_interrupted(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "asking", "input": {}}, thread.thread_id)

    run.refresh_from_db()
    thread.refresh_from_db()
    assert run.status == RunStatus.SUCCESS
    assert thread.status == ThreadStatus.INTERRUPTED
    [interrupts] = thread.interrupts.values()
    assert interrupts[0]["value"] == {"question": "approve?"}
    end = loads(dict(stream_events(run.run_id))[END_EVENT])
    assert end["output"]["__interrupt__"][0]["value"] == {"question": "approve?"}


def test_stateless_run_deletes_its_thread_by_default(assistants, no_dispatch) -> None:
    run = create_and_execute({"assistant_id": "agent", "input": HELLO})
    assert not Thread.objects.filter(pk=run.thread_id).exists()
    assert not Run.objects.filter(pk=run.run_id).exists()
    end = loads(dict(stream_events(run.run_id))[END_EVENT])
    assert end["status"] == "success"


def test_stateless_run_keeps_its_thread_when_asked(assistants, no_dispatch) -> None:
    run = create_and_execute({"assistant_id": "agent", "input": HELLO, "on_completion": "keep"})
    thread = Thread.objects.get(pk=run.thread_id)
    assert thread.values["messages"][-1]["type"] == "ai"
    assert Run.objects.get(pk=run.run_id).status == RunStatus.SUCCESS


def test_graph_id_works_as_assistant_id_unknown_graph_422_unknown_uuid_404(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = services.create_run({"assistant_id": "slow"}, thread.thread_id)
    assert run.assistant_id == assistants["slow"].assistant_id
    with pytest.raises(InvalidInput, match="Invalid assistant: 'no-such-graph'"):
        services.create_run({"assistant_id": "no-such-graph"}, thread.thread_id)
    with pytest.raises(NotFound):
        services.create_run({"assistant_id": str(uuid.uuid4())}, thread.thread_id)


def test_missing_thread_404s_unless_if_not_exists_create(assistants, no_dispatch) -> None:
    missing = uuid.uuid4()
    with pytest.raises(NotFound):
        services.create_run({"assistant_id": "agent"}, missing)
    assert not Run.objects.exists()
    run = services.create_run({"assistant_id": "agent", "if_not_exists": "create"}, missing)
    assert run.thread_id == missing
    assert Thread.objects.get(pk=missing).status == ThreadStatus.BUSY


def test_factory_graph_gets_the_run_config(assistants, no_dispatch) -> None:
    thread = create_thread()
    create_and_execute(
        {"assistant_id": "factory", "input": {}, "config": {"configurable": {"suffix": "abc"}}}, thread.thread_id
    )
    thread.refresh_from_db()
    assert thread.values == {"steps": ["made-by-factory:abc"]}


def test_duplicate_delivery_does_not_execute_twice(assistants, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "packaged", "input": {"count": 0}}, thread.thread_id)
    execute_thread_runs(str(run.thread_id))
    thread.refresh_from_db()
    assert thread.values == {"count": 1}
    assert Run.objects.get(pk=run.run_id).attempt == 1
