"""/metrics reports runs by status, queue depth, the oldest pending run and run durations."""

import logging

import pytest
from django.test import Client

from apps.core.logcontext import JsonFormatter, RunContextFilter, run_context
from apps.runs import services
from apps.threads.services import create_thread
from tests.integration.helpers import create_and_execute

pytestmark = pytest.mark.django_db(transaction=True)

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def test_prometheus_metrics(assistants, no_dispatch) -> None:
    create_and_execute({"assistant_id": "agent", "input": HELLO}, create_thread().thread_id)
    create_and_execute({"assistant_id": "failing", "input": {}}, create_thread().thread_id)
    services.create_run({"assistant_id": "agent", "input": HELLO}, create_thread().thread_id)
    response = Client().get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'agentplatform_runs{status="success"} 1' in text
    assert 'agentplatform_runs{status="error"} 1' in text
    assert 'agentplatform_runs{status="pending"} 1' in text
    assert 'agentplatform_run_duration_seconds_bucket{le="+Inf"} 2' in text
    assert "agentplatform_queue_depth " in text
    age = float(text.split("\nagentplatform_oldest_pending_run_age_seconds ")[1].split()[0])
    assert age > 0


def test_json_metrics_and_bad_format(assistants) -> None:
    body = Client().get("/metrics?format=json").json()
    assert set(body) >= {"runs_by_status", "queue_depth", "oldest_pending_run_age_seconds"}
    assert Client().get("/metrics?format=xml").status_code == 422


def test_log_records_carry_run_and_thread() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    with run_context("run-1", "thread-1"):
        RunContextFilter().filter(record)
    line = JsonFormatter().format(record)
    assert '"run_id": "run-1"' in line and '"thread_id": "thread-1"' in line
