"""Thread TTL (sweep of idle expired threads) and POST /threads/prune."""

import datetime
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.graphs.registry import reset_registry
from apps.runs import services as run_services
from apps.runs.models import Run
from apps.threads import retention
from apps.threads.models import Thread, ThreadStatus
from apps.threads.services import create_thread, get_thread_history, get_thread_state, patch_thread
from tests.conftest import FIXTURE_CONFIG
from tests.integration.helpers import create_and_execute

pytestmark = pytest.mark.django_db(transaction=True)

ONE_MINUTE = {"ttl_minutes": 1.0, "ttl_strategy": "delete"}


def checkpoint_count(thread_id: uuid.UUID) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM checkpoints WHERE thread_id = %s", [str(thread_id)])
        return cursor.fetchone()[0]


def age(thread: Thread, minutes: float) -> None:
    """Pretend the thread's last activity was `minutes` ago."""
    Thread.objects.filter(pk=thread.pk).update(updated_at=timezone.now() - datetime.timedelta(minutes=minutes))


def thread_with_runs(ttl: dict, runs: int = 1) -> Thread:
    thread = create_thread(ttl=ttl)
    for _ in range(runs):
        create_and_execute({"assistant_id": "slow", "input": {}, "config": {"configurable": {"delay": 0}}}, thread.pk)
    return thread


def test_expired_idle_thread_is_deleted_with_its_runs_and_checkpoints(assistants, no_dispatch) -> None:
    thread = thread_with_runs(ONE_MINUTE)
    assert checkpoint_count(thread.pk) > 0 and Run.objects.filter(thread_id=thread.pk).exists()
    age(thread, 2)

    assert retention.sweep_expired_threads() == 1
    assert not Thread.objects.filter(pk=thread.pk).exists()
    assert not Run.objects.filter(thread_id=thread.pk).exists()
    assert checkpoint_count(thread.pk) == 0


def test_a_sweep_handles_at_most_sweep_limit_threads(assistants, settings, tmp_path) -> None:
    config = json.loads(FIXTURE_CONFIG.read_text())
    config["checkpointer"] = {"ttl": {"sweep_limit": 2}}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    settings.LANGGRAPH_CONFIG = str(tmp_path / "langgraph.json")
    for _ in range(3):
        age(create_thread(ttl=ONE_MINUTE), 2)

    assert [retention.sweep_expired_threads(), retention.sweep_expired_threads()] == [2, 1]


def test_threads_not_yet_expired_or_without_ttl_are_kept(assistants) -> None:
    fresh = create_thread(ttl={"ttl_minutes": 10.0, "ttl_strategy": "delete"})
    age(fresh, 9)
    forever = create_thread()
    age(forever, 60 * 24 * 365)

    assert retention.sweep_expired_threads() == 0
    assert Thread.objects.filter(pk__in=[fresh.pk, forever.pk]).count() == 2


def test_busy_thread_is_never_deleted(assistants, no_dispatch) -> None:
    thread = create_thread(ttl=ONE_MINUTE)
    run = run_services.create_run({"assistant_id": "agent", "input": {}}, thread.pk)  # pending: thread busy
    age(thread, 5)

    assert retention.sweep_expired_threads() == 0
    thread.refresh_from_db()
    assert thread.status == ThreadStatus.BUSY
    # Even if its status says idle, a thread with a run in flight stays.
    Thread.objects.filter(pk=thread.pk).update(status=ThreadStatus.IDLE)
    assert retention.sweep_expired_threads() == 0
    assert Run.objects.filter(pk=run.pk).exists()


def test_update_restarts_the_ttl(assistants) -> None:
    thread = create_thread(ttl=ONE_MINUTE)
    age(thread, 0.9)
    patch_thread(thread.pk, metadata={"touched": True})
    thread.refresh_from_db()
    assert thread.ttl_expires_at > timezone.now() + datetime.timedelta(seconds=50)

    assert retention.sweep_expired_threads(now=timezone.now() + datetime.timedelta(seconds=30)) == 0
    assert retention.sweep_expired_threads(now=timezone.now() + datetime.timedelta(seconds=90)) == 1


def test_a_run_restarts_the_ttl(assistants, no_dispatch) -> None:
    thread = create_thread(ttl=ONE_MINUTE)
    age(thread, 5)
    create_and_execute({"assistant_id": "agent", "input": {}}, thread.pk)

    assert retention.sweep_expired_threads() == 0
    assert Thread.objects.filter(pk=thread.pk).exists()


def test_keep_latest_keeps_the_thread_and_its_current_state_only(assistants, no_dispatch) -> None:
    thread = thread_with_runs({"ttl_minutes": 1.0, "ttl_strategy": "keep_latest"}, runs=2)
    state_before = get_thread_state(thread.pk)
    assert checkpoint_count(thread.pk) > 1
    age(thread, 2)

    assert retention.sweep_expired_threads() == 1
    assert checkpoint_count(thread.pk) == 1
    state_after = get_thread_state(thread.pk)
    assert state_after["values"] == state_before["values"] == {"steps": ["slept", "finished"] * 2}
    assert state_after["checkpoint"] == state_before["checkpoint"]
    assert len(get_thread_history(thread.pk)) == 1
    # Pruned, the thread idles another TTL before the next sweep touches it.
    assert retention.sweep_expired_threads() == 0


def test_default_ttl_from_langgraph_json_applies_to_new_threads(assistants, settings, tmp_path) -> None:
    config = json.loads(FIXTURE_CONFIG.read_text())
    config["checkpointer"] = {"ttl": {"strategy": "keep_latest", "default_ttl": 30}}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    settings.LANGGRAPH_CONFIG = str(tmp_path / "langgraph.json")  # after start-up, as tests and `dev` do

    thread = create_thread()
    assert (thread.ttl_minutes, thread.ttl_strategy) == (30.0, "keep_latest")
    explicit = create_thread(ttl=ONE_MINUTE)
    assert (explicit.ttl_minutes, explicit.ttl_strategy) == (1.0, "delete")


def test_a_new_thread_takes_its_default_ttl_without_loading_any_graph(settings, tmp_path) -> None:
    (tmp_path / "graph.py").write_text("raise RuntimeError('user code was imported')\n")
    config = {"graphs": {"boom": "./graph.py:graph"}, "checkpointer": {"ttl": {"default_ttl": 15}}}
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    settings.LANGGRAPH_CONFIG = str(tmp_path / "langgraph.json")
    reset_registry()
    try:
        assert Thread.objects.create().ttl_minutes == 15.0
    finally:
        reset_registry()


def test_ttl_over_the_api(assistants) -> None:
    client = Client()
    created = client.post("/threads", {"ttl": {"ttl": 90}}, content_type="application/json").json()
    assert "ttl" not in created
    path = f"/threads/{created['thread_id']}"
    assert "ttl" not in client.get(path).json()

    shown = client.get(path, {"include": "ttl"}).json()["ttl"]
    updated_at = datetime.datetime.fromisoformat(client.get(path).json()["updated_at"])
    assert shown["strategy"] == "delete" and shown["ttl_minutes"] == 90
    assert datetime.datetime.fromisoformat(shown["expires_at"]) == updated_at + datetime.timedelta(minutes=90)

    patched = client.patch(path, {"ttl": {"ttl": 5, "strategy": "keep_latest"}}, content_type="application/json")
    assert patched.status_code == 200
    assert client.get(path, {"include": "ttl"}).json()["ttl"]["strategy"] == "keep_latest"

    plain = client.post("/threads", {}, content_type="application/json").json()
    assert "ttl" not in client.get(f"/threads/{plain['thread_id']}", {"include": "ttl"}).json()


@pytest.mark.parametrize(
    ("ttl", "message"),
    [
        ({"ttl": 5, "strategy": "archive"}, "strategy"),
        ({"ttl": -1}, "positive"),
        ({"ttl": 1e308}, "at most"),
        ({"ttl": "soon"}, "positive"),
        ({"strategy": "delete"}, "positive"),
        ({"ttl": 5, "when": "now"}, "unknown"),
        ("five", "object"),
    ],
)
def test_bad_ttl_is_422(assistants, ttl: object, message: str) -> None:
    response = Client().post("/threads", {"ttl": ttl}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"].startswith("ttl:") and message in response.json()["detail"]


def test_unknown_include_is_422(assistants) -> None:
    client = Client()
    thread = client.post("/threads", {}, content_type="application/json").json()
    response = client.get(f"/threads/{thread['thread_id']}", {"include": "ttl,owner"})
    assert response.status_code == 422 and "owner" in response.json()["detail"]


def test_prune_delete_removes_threads_runs_and_checkpoints(assistants, no_dispatch) -> None:
    doomed = [thread_with_runs({}) for _ in range(2)]
    kept = thread_with_runs({})
    missing = uuid.uuid4()
    body = {"thread_ids": [str(t.pk) for t in doomed] + [str(missing)]}

    response = Client().post("/threads/prune", body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"pruned_count": 2}
    for thread in doomed:
        assert not Thread.objects.filter(pk=thread.pk).exists()
        assert not Run.objects.filter(thread_id=thread.pk).exists()
        assert checkpoint_count(thread.pk) == 0
    assert checkpoint_count(kept.pk) > 0


def test_prune_keep_latest_keeps_the_current_state(assistants, no_dispatch) -> None:
    thread = thread_with_runs({}, runs=2)
    values = get_thread_state(thread.pk)["values"]

    body = {"thread_ids": [str(thread.pk)], "strategy": "keep_latest"}
    response = Client().post("/threads/prune", body, content_type="application/json")
    assert response.json() == {"pruned_count": 1}
    assert checkpoint_count(thread.pk) == 1
    assert get_thread_state(thread.pk)["values"] == values
    assert Run.objects.filter(thread_id=thread.pk).count() == 2


def test_prune_skips_a_busy_thread(assistants, no_dispatch) -> None:
    thread = create_thread()
    run_services.create_run({"assistant_id": "agent", "input": {}}, thread.pk)

    response = Client().post("/threads/prune", {"thread_ids": [str(thread.pk)]}, content_type="application/json")
    assert response.json() == {"pruned_count": 0}
    assert Thread.objects.filter(pk=thread.pk).exists()


def test_prune_rejects_a_bad_body(assistants) -> None:
    client = Client()
    assert client.post("/threads/prune", {}, content_type="application/json").status_code == 422
    bad_strategy = {"thread_ids": [], "strategy": "archive"}
    response = client.post("/threads/prune", bad_strategy, content_type="application/json")
    assert response.status_code == 422 and response.json()["detail"].startswith("strategy:")
