"""A run costs a bounded number of Django SQL statements (the checkpointer's own are separate).

Creating (4): BEGIN, thread UPDATE (takes the row lock and proves the assistant
exists), run INSERT, COMMIT. Executing (2): one claim statement,
one finish statement, and no per-run reads after it (the wake-flag protocol
replaces them). The checkpointer's statements (its own pool) have their own budget.
"""

import pytest
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django.test.utils import CaptureQueriesContext

from apps.core import dbpools
from apps.runs import services
from apps.runs.worker import execute_thread_runs
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)

CREATE_BUDGET = 4
EXECUTE_BUDGET = 2
# The checkpointer's own statements for a one-node graph (9): two reads (the checkpoint
# the run starts from, the final state), three checkpoint upserts and four upserts of
# their blobs and the node's writes.
CHECKPOINTER_BUDGET = 9

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def test_create_and_execute_stay_within_their_query_budgets(assistants, no_dispatch, monkeypatch) -> None:
    thread = create_thread()
    services.create_run({"assistant_id": "agent", "input": HELLO}, thread.thread_id)  # warm caches
    no_dispatch.deliver()

    with CaptureQueriesContext(connection) as created:
        services.create_run({"assistant_id": "agent", "input": HELLO}, thread.thread_id)
    # The worker queries from several threads (claim in the caller's, finish on its database threads).
    executed: list[str] = []
    cursor_execute = CursorWrapper.execute

    def counted(self: CursorWrapper, sql: str, params: object = None) -> object:
        executed.append(sql)
        return cursor_execute(self, sql, params)

    with monkeypatch.context() as patch:
        patch.setattr(CursorWrapper, "execute", counted)
        execute_thread_runs(str(thread.thread_id))

    statements = [q["sql"].split()[0] for q in created.captured_queries]
    assert len(created.captured_queries) <= CREATE_BUDGET, statements
    assert 0 < len(executed) <= EXECUTE_BUDGET, [sql[:80] for sql in executed]


def test_the_checkpointer_stays_within_its_statement_budget(assistants, no_dispatch, monkeypatch) -> None:
    import psycopg

    statements: list[str] = []
    execute, executemany = psycopg.AsyncCursor.execute, psycopg.AsyncCursor.executemany

    async def counted_execute(self, query, *args, **kwargs):
        if words := str(query).split():  # not the pool's connection check, an empty query
            statements.append(words[0])
        return await execute(self, query, *args, **kwargs)

    async def counted_executemany(self, query, params_seq, *args, **kwargs):
        params_seq = list(params_seq)
        statements.extend(str(query).split()[0] for _ in params_seq)
        return await executemany(self, query, params_seq, *args, **kwargs)

    # Every checkout checks its connection (an empty query, not counted): the count must not
    # depend on how long the connections sat idle, which varies with the machine's speed.
    monkeypatch.setattr(dbpools, "CHECK_AFTER_IDLE_S", 0.0)
    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counted_execute)
    monkeypatch.setattr(psycopg.AsyncCursor, "executemany", counted_executemany)
    thread = create_thread()
    services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)  # warm the pool
    no_dispatch.deliver()
    statements.clear()

    services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)
    execute_thread_runs(str(thread.thread_id))

    assert 0 < len(statements) <= CHECKPOINTER_BUDGET, statements
