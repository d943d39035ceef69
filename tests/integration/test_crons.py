"""Crons are mirrored into django-celery-beat and fire runs through the runs service."""

import datetime
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.core.errors import InvalidInput, NotFound
from apps.crons import services
from apps.crons.models import Cron
from apps.runs.models import Run, RunStatus
from apps.threads.models import Thread
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "daily summary"}]}


def thread_cron(thread: Thread, **extra: object) -> Cron:
    body = {"assistant_id": "agent", "schedule": "0 8 * * 1-5", "input": HELLO, **extra}
    return services.create_cron(body, thread.thread_id)


def test_thread_cron_is_mirrored_into_a_periodic_task(assistants) -> None:
    cron = thread_cron(create_thread(), timezone="Europe/Paris")
    task = PeriodicTask.objects.get(name=f"cron:{cron.cron_id}")
    assert task.task == "crons.fire"
    assert json.loads(task.kwargs) == {"cron_id": str(cron.cron_id)}
    assert task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "8", "1-5")
    assert str(crontab.timezone) == "Europe/Paris"
    assert cron.next_run_date > timezone.now()


def test_patch_disable_and_delete_update_the_periodic_task(assistants) -> None:
    cron = thread_cron(create_thread())
    services.patch_cron(cron.cron_id, {"schedule": "*/5 * * * *"})
    assert PeriodicTask.objects.get(name=f"cron:{cron.cron_id}").crontab.minute == "*/5"
    services.patch_cron(cron.cron_id, {"enabled": False})
    assert not PeriodicTask.objects.get(name=f"cron:{cron.cron_id}").enabled
    assert services.get_cron(cron.cron_id).next_run_date is None
    schedules_before = CrontabSchedule.objects.count()
    services.delete_cron(cron.cron_id)
    assert not PeriodicTask.objects.filter(name=f"cron:{cron.cron_id}").exists()
    assert CrontabSchedule.objects.count() == schedules_before  # shared rows are never deleted
    with pytest.raises(NotFound):
        services.get_cron(cron.cron_id)


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"schedule": "not a cron"}, InvalidInput),
        ({"timezone": "Nowhere/Land"}, InvalidInput),
        ({"end_time": timezone.now() - datetime.timedelta(minutes=1)}, InvalidInput),
        ({"assistant_id": str(uuid.uuid4())}, NotFound),
    ],
)
def test_invalid_crons_are_rejected_and_nothing_is_stored(assistants, extra: dict, error: type) -> None:
    with pytest.raises(error):
        thread_cron(create_thread(), **extra)
    assert not Cron.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="cron:").exists()


def test_cron_on_missing_thread_is_404(assistants) -> None:
    with pytest.raises(NotFound):
        services.create_cron({"assistant_id": "agent", "schedule": "* * * * *"}, uuid.uuid4())


def test_firing_creates_a_run_carrying_the_cron_id(assistants, no_dispatch) -> None:
    thread = create_thread()
    cron = thread_cron(thread)
    run_id = services.fire_cron(str(cron.cron_id))
    run = Run.objects.get(pk=run_id)
    assert run.thread_id == thread.thread_id
    assert run.metadata["cron_id"] == str(cron.cron_id)
    assert run.kwargs["config"]["configurable"]["cron_id"] == str(cron.cron_id)
    no_dispatch.deliver()
    assert Run.objects.get(pk=run_id).status == RunStatus.SUCCESS
    cron.refresh_from_db()
    assert cron.total_run_count == 1 and cron.last_run_at is not None


@pytest.mark.parametrize(("on_run_completed", "kept"), [("delete", False), ("keep", True)])
def test_stateless_cron_threads_are_deleted_or_kept(assistants, no_dispatch, on_run_completed: str, kept: bool) -> None:
    body = {"assistant_id": "agent", "schedule": "* * * * *", "input": HELLO, "on_run_completed": on_run_completed}
    cron = services.create_cron(body)
    run_id = services.fire_cron(str(cron.cron_id))
    thread_id = Run.objects.get(pk=run_id).thread_id
    no_dispatch.deliver()
    assert Thread.objects.filter(pk=thread_id).exists() is kept
    if kept:
        from apps.runs.services import search_runs

        [found] = search_runs(metadata={"cron_id": str(cron.cron_id)})
        assert found.status == RunStatus.SUCCESS


def test_cron_pauses_itself_after_consecutive_failures(assistants, no_dispatch, settings) -> None:
    settings.CRON_MAX_CONSECUTIVE_FAILURES = 3
    cron = services.create_cron({"assistant_id": "failing", "schedule": "* * * * *", "input": {}})
    for _ in range(3):
        services.fire_cron(str(cron.cron_id))
        no_dispatch.deliver()
    cron.refresh_from_db()
    assert not cron.enabled
    assert cron.paused_reason == "failures"
    assert not PeriodicTask.objects.get(name=f"cron:{cron.cron_id}").enabled
    assert services.fire_cron(str(cron.cron_id)) is None  # a late firing creates nothing
    resumed = services.patch_cron(cron.cron_id, {"enabled": True})
    assert resumed.enabled and resumed.consecutive_failures == 0 and resumed.paused_reason == ""


def test_max_runs_and_end_time_stop_a_cron(assistants, no_dispatch) -> None:
    capped = services.create_cron({"assistant_id": "agent", "schedule": "* * * * *", "input": HELLO, "max_runs": 2})
    assert services.fire_cron(str(capped.cron_id))
    assert services.fire_cron(str(capped.cron_id))
    assert services.fire_cron(str(capped.cron_id)) is None
    capped.refresh_from_db()
    assert (capped.enabled, capped.paused_reason, capped.total_run_count) == (False, "max_runs", 2)

    ending = services.create_cron(
        {"assistant_id": "agent", "schedule": "* * * * *", "end_time": timezone.now() + datetime.timedelta(hours=1)}
    )
    Cron.objects.filter(pk=ending.pk).update(end_time=timezone.now() - datetime.timedelta(seconds=1))
    assert services.fire_cron(str(ending.cron_id)) is None
    ending.refresh_from_db()
    assert (ending.enabled, ending.paused_reason) == (False, "end_time")


def test_cron_api_shapes_and_search(assistants) -> None:
    client = Client()
    thread = create_thread()
    response = client.post(
        f"/threads/{thread.thread_id}/runs/crons",
        {"assistant_id": "agent", "schedule": "0 8 * * *", "input": HELLO, "metadata": {"team": "news"}},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["thread_id"] == str(thread.thread_id)
    assert body["payload"]["input"] == HELLO
    assert body["next_run_date"] and body["enabled"] is True
    searched = client.post("/runs/crons/search", {"metadata": {"team": "news"}}, content_type="application/json")
    assert [c["cron_id"] for c in searched.json()] == [body["cron_id"]]
    count = client.post("/runs/crons/count", {"thread_id": str(thread.thread_id)}, content_type="application/json")
    assert count.json() == 1
    bad = client.post("/runs/crons", {"assistant_id": "agent", "schedule": "nope"}, content_type="application/json")
    assert bad.status_code == 422
    assert "schedule" in bad.json()["detail"]
