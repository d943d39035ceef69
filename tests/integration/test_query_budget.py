"""A run costs a bounded number of Django SQL statements (the checkpointer's own are separate).

Creating (5): assistant lookup, BEGIN, thread UPDATE (takes the row lock), run
INSERT, COMMIT. Executing (2): one claim statement,
one finish statement, and no per-run reads after it (the wake-flag protocol
replaces them).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.runs import services
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_BUDGET = 5
EXECUTE_BUDGET = 2

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def test_create_and_execute_stay_within_their_query_budgets(assistants, no_dispatch) -> None:
    thread = create_thread()
    services.create_run({"assistant_id": "agent", "input": HELLO}, thread.thread_id)  # warm caches
    no_dispatch.deliver()

    with CaptureQueriesContext(connection) as created:
        run = services.create_run({"assistant_id": "agent", "input": HELLO}, thread.thread_id)
    with CaptureQueriesContext(connection) as executed:
        services.execute_thread_runs(str(run.run_id), str(thread.thread_id))

    statements = [q["sql"].split()[0] for q in created.captured_queries]
    assert len(created.captured_queries) <= CREATE_BUDGET, statements
    assert len(executed.captured_queries) <= EXECUTE_BUDGET, [q["sql"][:80] for q in executed.captured_queries]
