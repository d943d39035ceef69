"""A cron's run history outlives its runs: recorded at the end, searchable, pruned after retention."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from apps.crons import services
from apps.crons.history import OUTPUT_SUMMARY_CHARS, prune_history, summarize_output
from apps.crons.models import CronRun
from apps.runs.models import Run
from apps.threads.models import Thread

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "daily summary"}]}


def fire(cron_id: object, no_dispatch) -> Run:
    run_id = services.fire_cron(str(cron_id))
    run = Run.objects.get(pk=run_id)
    no_dispatch.deliver()
    return run


def search(metadata: dict, **extra: object) -> list[dict]:
    response = Client().post("/runs/search", {"metadata": metadata, **extra}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_stateless_crons_run_is_kept_after_its_thread_is_deleted(assistants, no_dispatch) -> None:
    cron = services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": HELLO})
    run = fire(cron.cron_id, no_dispatch)
    # on_run_completed="delete" (the default): the run and its thread are gone ...
    assert not Run.objects.filter(pk=run.run_id).exists()
    assert not Thread.objects.filter(pk=run.thread_id).exists()
    # ... and the history has it, with timings and what the agent answered.
    record = CronRun.objects.get(pk=run.run_id)
    assert record.cron_id == cron.cron_id and record.status == "success"
    assert record.started_at <= record.ended_at
    assert record.output == {"messages": [{"type": "ai", "content": "You said: daily summary"}]}

    found = search({"cron_id": str(cron.cron_id)})
    assert [r["run_id"] for r in found] == [str(run.run_id)]
    assert found[0]["status"] == "success"
    assert found[0]["metadata"]["cron_id"] == str(cron.cron_id)
    assert found[0]["ended_at"] and found[0]["error"] is None
    assert search({"cron_id": str(cron.cron_id)}, status="error") == []


def test_a_failed_run_keeps_its_error_and_live_runs_are_not_duplicated(assistants, no_dispatch) -> None:
    failing = services.create_cron(
        {"assistant_id": "failing", "schedule": "0 8 * * *", "input": {}, "on_run_completed": "keep"}
    )
    first, second = fire(failing.cron_id, no_dispatch), fire(failing.cron_id, no_dispatch)
    found = search({"cron_id": str(failing.cron_id)})
    # Kept runs are both live rows and history records: each appears once, newest first.
    assert [r["run_id"] for r in found] == [str(second.run_id), str(first.run_id)]
    assert {r["status"] for r in found} == {"error"}
    record = CronRun.objects.get(pk=first.run_id)
    assert record.error["message"] and record.output is None
    assert [r["run_id"] for r in search({"cron_id": str(failing.cron_id)}, limit=1, offset=1)] == [str(first.run_id)]


def test_history_older_than_the_retention_is_pruned(assistants, no_dispatch, settings) -> None:
    settings.CRON_HISTORY_DAYS = 7
    cron = services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": HELLO})
    old, recent = fire(cron.cron_id, no_dispatch), fire(cron.cron_id, no_dispatch)
    CronRun.objects.filter(pk=old.run_id).update(created_at=timezone.now() - datetime.timedelta(days=8))
    assert prune_history() == 1
    assert list(CronRun.objects.values_list("run_id", flat=True)) == [recent.run_id]


def test_deleting_a_cron_deletes_its_history(assistants, no_dispatch) -> None:
    cron = services.create_cron({"assistant_id": "agent", "schedule": "0 8 * * *", "input": HELLO})
    fire(cron.cron_id, no_dispatch)
    services.delete_cron(cron.cron_id)
    assert not CronRun.objects.exists()


def test_the_crons_admin_page_lists_its_recent_runs(assistants, no_dispatch, admin_client) -> None:
    cron = services.create_cron({"assistant_id": "failing", "schedule": "0 8 * * *", "input": {}})
    run = fire(cron.cron_id, no_dispatch)
    page = admin_client.get(f"/admin/crons/cron/{cron.cron_id}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Recent runs (history)" in html and str(run.run_id) in html and "boom" in html


def test_output_summaries_are_bounded() -> None:
    long_text = "x" * (OUTPUT_SUMMARY_CHARS * 3)
    summary = summarize_output({"messages": [{"type": "ai", "content": long_text}]})
    assert len(summary["messages"][0]["content"]) == OUTPUT_SUMMARY_CHARS
    summary = summarize_output({"report": long_text})
    assert len(summary["__truncated__"]) == OUTPUT_SUMMARY_CHARS
    assert summarize_output({"small": 1}) == {"small": 1}
