"""The admin lists, opens and acts on assistants, threads, runs and crons, through the services."""

import re

import pytest
from django.test import Client
from django_celery_beat.models import PeriodicTask

from apps.crons import services as cron_services
from apps.crons.models import Cron
from apps.runs import services
from apps.runs.models import Run, RunStatus
from apps.threads.models import Thread
from apps.threads.services import create_thread
from tests.integration.helpers import create_and_execute

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def act(client: Client, path: str, action: str, ids: list) -> None:
    response = client.post(path, {"action": action, "_selected_action": [str(i) for i in ids]})
    assert response.status_code == 302, response.content[:500]


def test_admin_requires_login() -> None:
    for path in ("/admin/runs/run/", "/admin/dashboard/"):
        response = Client().get(path)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/dashboard/",
        "/admin/assistants/assistant/",
        "/admin/threads/thread/",
        "/admin/runs/run/",
        "/admin/runs/run/?status__exact=error",
        "/admin/runs/run/?q=team%3Dnews",
        "/admin/runs/run/?q=not-a-uuid",
        "/admin/crons/cron/",
        "/admin/django_celery_beat/periodictask/",
    ],
)
def test_changelists_and_dashboard_render(staff: Client, no_dispatch, path: str) -> None:
    create_and_execute(
        {"assistant_id": "agent", "input": HELLO, "metadata": {"team": "news"}}, create_thread().thread_id
    )
    assert staff.get(path).status_code == 200


def test_run_detail_shows_input_error_traceback_state_and_events(staff: Client, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "failing", "input": {"steps": ["x"]}}, thread.thread_id)
    page = staff.get(f"/admin/runs/run/{run.run_id}/change/").content.decode()
    assert "boom" in page  # error
    assert "Traceback (most recent call last)" in page
    assert "&quot;steps&quot;" in page  # input, pretty-printed
    assert "__end__" in page  # stream events


def test_dashboard_counts_runs_by_status(staff: Client, no_dispatch) -> None:
    create_and_execute({"assistant_id": "failing", "input": {}}, create_thread().thread_id)
    services.create_run({"assistant_id": "agent", "input": HELLO}, create_thread().thread_id)
    page = staff.get("/admin/dashboard/").content.decode()
    assert "<td>error</td><td>1</td><td>1</td>" in page
    assert "<td>pending</td><td>1</td><td>1</td>" in page
    assert "s old" in page  # the oldest pending run


def test_cancel_rollback_and_rerun_actions(staff: Client, no_dispatch) -> None:
    pending = services.create_run({"assistant_id": "agent", "input": HELLO}, create_thread().thread_id)
    act(staff, "/admin/runs/run/", "cancel_interrupt", [pending.run_id])
    assert Run.objects.get(pk=pending.run_id).status == RunStatus.INTERRUPTED

    doomed = services.create_run({"assistant_id": "agent", "input": HELLO}, create_thread().thread_id)
    act(staff, "/admin/runs/run/", "cancel_rollback", [doomed.run_id])
    assert not Run.objects.filter(pk=doomed.run_id).exists()

    failed = create_and_execute({"assistant_id": "failing", "input": {}}, create_thread().thread_id)
    act(staff, "/admin/runs/run/", "rerun", [failed.run_id])
    rerun = Run.objects.get(metadata__rerun_of=str(failed.run_id))
    assert rerun.thread_id == failed.thread_id and rerun.status == RunStatus.PENDING


def test_deleting_a_thread_deletes_its_checkpoints(staff: Client, no_dispatch) -> None:
    from apps.graphs.checkpointer import get_sync_checkpointer

    thread = create_thread()
    create_and_execute({"assistant_id": "agent", "input": HELLO}, thread.thread_id)
    config = {"configurable": {"thread_id": str(thread.thread_id), "checkpoint_ns": ""}}
    assert get_sync_checkpointer().get_tuple(config) is not None
    response = staff.post(
        "/admin/threads/thread/",
        {"action": "delete_selected", "_selected_action": [str(thread.thread_id)], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Thread.objects.filter(pk=thread.thread_id).exists()
    assert get_sync_checkpointer().get_tuple(config) is None


def test_cron_pause_resume_and_run_now(staff: Client, no_dispatch) -> None:
    cron = cron_services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": {}})
    act(staff, "/admin/crons/cron/", "pause", [cron.cron_id])
    assert not Cron.objects.get(pk=cron.cron_id).enabled
    assert not PeriodicTask.objects.get(name=f"cron:{cron.cron_id}").enabled
    act(staff, "/admin/crons/cron/", "resume", [cron.cron_id])
    assert PeriodicTask.objects.get(name=f"cron:{cron.cron_id}").enabled
    act(staff, "/admin/crons/cron/", "run_now", [cron.cron_id])
    assert Run.objects.filter(metadata__cron_id=str(cron.cron_id)).count() == 1


def test_cron_periodic_tasks_are_read_only_and_link_to_their_cron(staff: Client) -> None:
    cron = cron_services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": {}})
    task = PeriodicTask.objects.get(name=f"cron:{cron.cron_id}")
    listing = staff.get("/admin/django_celery_beat/periodictask/").content.decode()
    assert f"/admin/crons/cron/{cron.cron_id}/change/" in listing
    page = staff.get(f"/admin/django_celery_beat/periodictask/{task.pk}/change/").content.decode()
    assert 'name="name"' not in page  # no editable field
    assert staff.post(f"/admin/django_celery_beat/periodictask/{task.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PeriodicTask.objects.filter(pk=task.pk).exists()


def test_detail_pages_of_every_model_render(staff: Client, no_dispatch) -> None:
    thread = create_thread()
    run = create_and_execute({"assistant_id": "agent", "input": HELLO}, thread.thread_id)
    cron = cron_services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": HELLO})
    pages = {
        f"/admin/threads/thread/{thread.thread_id}/change/": "You said: hello",  # the thread's state
        f"/admin/assistants/assistant/{run.assistant_id}/change/": "agent",
        f"/admin/crons/cron/{cron.cron_id}/change/": f"cron:{cron.cron_id}",  # link to its beat task
        f"/admin/runs/run/{run.run_id}/change/": "You said: hello",
    }
    for path, expected in pages.items():
        response = staff.get(path)
        assert response.status_code == 200, path
        assert expected in response.content.decode(), path


def test_store_items_are_listed_read_only(staff: Client) -> None:
    from django.contrib.admin.utils import quote

    from apps.store import services as store_services

    store_services.put_item(["admin-view", "alice"], "favourite", {"food": "pizza"})
    listing = staff.get("/admin/store/storeitem/?q=admin-view")
    assert listing.status_code == 200
    assert b"admin-view / alice" in listing.content and b"pizza" in listing.content
    assert b"Add store item" not in listing.content

    item_id = quote("admin-view.alice\x1ffavourite")
    detail = staff.get(f"/admin/store/storeitem/{item_id}/change/")
    assert detail.status_code == 200 and b"&quot;food&quot;: &quot;pizza&quot;" in detail.content
    assert staff.post(f"/admin/store/storeitem/{item_id}/delete/", {"post": "yes"}).status_code == 403
    assert store_services.get_item(("admin-view", "alice"), "favourite") is not None


TOOL_CONVERSATION = [
    {"type": "human", "content": "weather in Paris?"},
    {"type": "ai", "content": "", "tool_calls": [{"name": "weather_lookup", "args": {"city": "Paris"}, "id": "c1"}]},
    {"type": "tool", "content": "sunny, 21 °C", "tool_call_id": "c1", "name": "weather_lookup"},
]


def test_thread_page_shows_the_transcript_the_other_state_and_the_checkpoint_timeline(
    staff: Client, no_dispatch
) -> None:
    from apps.threads.services import update_thread_state

    thread = create_thread()
    create_and_execute({"assistant_id": "agent", "input": HELLO}, thread.thread_id)
    update_thread_state(thread.thread_id, values={"messages": TOOL_CONVERSATION}, as_node="search")
    page = staff.get(f"/admin/threads/thread/{thread.thread_id}/change/").content.decode()

    transcript = page[page.index('class="transcript"') : page.index("Other state")]
    assert transcript.index("hello") < transcript.index("You said: hello") < transcript.index("weather in Paris?")
    assert '<div class="msg human">' in transcript and '<div class="msg ai">' in transcript
    # The tool call is folded: its name in a <summary>, its arguments inside the <details>.
    assert '<details class="tool-call"><summary>calls tool <code>weather_lookup</code></summary>' in transcript
    assert "&quot;city&quot;: &quot;Paris&quot;" in transcript
    assert '<div class="msg tool">' in transcript and "sunny, 21 °C" in transcript
    assert "No other keys." in page  # MessagesState has no other key
    # The checkpoint timeline: an SVG bar per step, and a row with node and time spent.
    timeline = page[page.index("Checkpoint history") :]
    assert "<svg" in timeline and "Time spent per step" in timeline
    for node in ("input", "respond", "state update"):
        assert f"<code>{node}</code>" in timeline, node


def test_thread_page_lists_state_keys_beside_a_graph_without_messages(staff: Client, no_dispatch) -> None:
    thread = create_thread()
    create_and_execute(
        {"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0}}}, thread.thread_id
    )
    page = staff.get(f"/admin/threads/thread/{thread.thread_id}/change/").content.decode()
    assert "No messages in this thread" in page
    assert "<h4>steps</h4>" in page and "&quot;slept&quot;" in page
    assert "<code>wait_a_while</code>" in page and "<code>finish</code>" in page


def test_failed_run_page_puts_the_error_beside_the_step_that_raised_it(staff: Client, no_dispatch) -> None:
    run = create_and_execute({"assistant_id": "failing", "input": {"steps": ["x"]}}, create_thread().thread_id)
    page = staff.get(f"/admin/runs/run/{run.run_id}/change/").content.decode()
    steps = page[page.index('class="steps-table"') :]
    rows = steps[: steps.index("</table>")].split("<tr>")[2:]  # after the header row
    assert [("<code>input</code>" in r, "<code>explode</code>" in r) for r in rows] == [(True, False), (False, True)]
    assert '<td class="error">✗ ValueError: boom' in rows[1] and "Traceback (most recent call last)" in rows[1]
    timeline_svg = page[page.index("Steps of this run") - 2000 : page.index('class="steps-table"')]
    assert "explode" in timeline_svg and "ValueError: boom" in timeline_svg
    assert "<code>error</code>" in page  # the stream's error event


def test_run_page_timeline_follows_the_run_steps_in_order(staff: Client, no_dispatch) -> None:
    thread = create_thread()
    create_and_execute(
        {"assistant_id": "counted", "input": {}, "config": {"configurable": {"delay": 0.2}}}, thread.thread_id
    )
    second = create_and_execute(
        {"assistant_id": "counted", "input": {}, "config": {"configurable": {"delay": 0.2}}}, thread.thread_id
    )
    page = staff.get(f"/admin/runs/run/{second.run_id}/change/").content.decode()
    steps = page[page.index('class="steps-table"') :]
    steps = steps[: steps.index("</table>")]
    nodes = [n for n in ("input", "step_one", "step_two", "step_three") if f"<code>{n}</code>" in steps]
    assert nodes == ["input", "step_one", "step_two", "step_three"]
    assert steps.count("<tr>") == 5  # only this run's steps, not the first run's
    # step_two sleeps 0.2 s: its time spent says so.
    two = steps.split("<code>step_two</code>")[1].split("</tr>")[0]
    assert float(re.search(r"<td>([\d.]+) s</td>", two).group(1)) >= 0.2
