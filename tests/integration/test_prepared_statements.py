"""Server-side binding: the per-run statements are prepared once per connection, so
PostgreSQL does not parse and plan them for every run."""

import pytest
from django.db import connection

from apps.runs import services, transitions
from apps.runs.models import Run
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)

# psycopg prepares a statement the 6th time a connection runs it (prepare_threshold 5).
PREPARED_AFTER = 6


def _claim_runs(count: int) -> list[Run | None]:
    thread = create_thread()
    for index in range(count):
        services.create_run({"assistant_id": "packaged", "input": {"count": index}}, thread.thread_id)
    claimed = []
    for _ in range(count):
        run = transitions.claim_next_run(str(thread.thread_id))
        claimed.append(run)
        if run is not None:  # let the next one be claimed (one running run per thread)
            Run.objects.filter(pk=run.pk).update(status="success")
    return claimed


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_claim_is_prepared_on_the_server_after_a_few_runs(assistants, no_dispatch) -> None:
    assert all(_claim_runs(PREPARED_AFTER))
    assert any("UPDATE runs_run SET status = 'running'" in sql for sql in _prepared_statements())
