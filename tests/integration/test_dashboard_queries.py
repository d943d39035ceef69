"""The dashboard costs the same few queries on a table of ten runs as on one of many, each
served by an index, and its charts show what the runs table holds."""

import datetime
import re

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.runs.models import Run, RunStatus
from apps.runs.overview import CREATED_SQL, DURATIONS_SQL
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)

# Session and user (2), runs created per minute (1), durations over the hour and the day (2),
# errors by graph (1), oldest pending run (1), capped pending count (1), running count (1).
DASHBOARD_QUERY_BUDGET = 9


def add_runs(assistants: dict, count: int) -> None:
    """`count` finished runs spread over the last day (and a few pending), written in bulk."""
    now = timezone.now()
    thread = create_thread()
    statuses = [RunStatus.SUCCESS, RunStatus.ERROR, RunStatus.TIMEOUT, RunStatus.INTERRUPTED, RunStatus.PENDING]
    runs = []
    for i in range(count):
        created = now - datetime.timedelta(seconds=(i * 86_000) // count)
        status = statuses[i % len(statuses)]
        finished = status != RunStatus.PENDING
        runs.append(
            Run(
                thread=thread,
                assistant=assistants["failing" if status == RunStatus.ERROR else "agent"],
                status=status,
                created_at=created,
                started_at=created if finished else None,
                ended_at=created + datetime.timedelta(milliseconds=100 + i % 900) if finished else None,
            )
        )
    Run.objects.bulk_create(runs)
    # created_at is auto_now_add: spread the finished ones over the day as their start times say.
    Run.objects.filter(started_at__isnull=False).update(created_at=F("started_at"))


def dashboard_queries(client: Client, path: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("path", ["/admin/dashboard/", "/admin/dashboard/charts/"])
def test_dashboard_query_count_does_not_grow_with_the_runs_table(staff: Client, assistants, path: str) -> None:
    add_runs(assistants, 10)
    few = dashboard_queries(staff, path)
    add_runs(assistants, 2_000)
    many = dashboard_queries(staff, path)
    assert len(few) == len(many) <= DASHBOARD_QUERY_BUDGET, many


def test_dashboard_charts_draw_the_runs_by_status_duration_and_graph(staff: Client, assistants) -> None:
    add_runs(assistants, 50)
    page = staff.get("/admin/dashboard/charts/").content.decode()
    assert page.count("<svg") == 6 and "<script" not in page  # server-drawn, no script in the pictures
    # A series per status seen: over the day all five; over the hour the pending runs (made just now).
    day = page[page.index('id="chart-throughput-day"') : page.index('id="chart-durations-hour"')]
    for status in ("pending", "success", "error", "timeout", "interrupted"):
        assert re.search(rf"<text[^>]*>{status}</text>", day), status
    assert not re.search(r"<text[^>]*>running</text>", day)  # none running: no empty series
    assert day.count('class="line reactive') == 5  # one filled area per status
    hour = page[page.index('id="chart-throughput-hour"') : page.index('id="chart-throughput-day"')]
    assert re.search(r"<text[^>]*>pending</text>", hour)
    durations = page[page.index('id="chart-durations-day"') : page.index('id="chart-queue"')]
    assert re.search(r"<text[^>]*>p95</text>", durations) and 'class="dot' in durations
    errors = page[page.index('id="chart-errors"') :]
    assert re.search(r"<text[^>]*>failing</text>", errors) and not re.search(r"<text[^>]*>agent</text>", errors)
    # 10 of the 50 runs failed, all in the last day: the bar's value is printed.
    assert re.search(r'<text[^>]*class="value[^"]*"[^>]*>10</text>', errors)
    assert "<td>pending</td><td>" in page and "<td>error</td>" in page


@pytest.mark.parametrize(
    ("sql", "index"),
    [(CREATED_SQL, "Index Cond: (created_at >="), (DURATIONS_SQL, "on run_ended_started")],
)
def test_dashboard_range_scans_are_served_by_their_indexes(assistants, sql: str, index: str) -> None:
    add_runs(assistants, 200)
    since = timezone.now() - datetime.timedelta(days=1)
    args = [60, 60, since] if sql == DURATIONS_SQL else [since]
    with transaction.atomic(), connection.cursor() as cursor:
        # A small table would be scanned whole anyway; forbid that to see which index the plan can use.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, args)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
