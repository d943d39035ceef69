"""Which commits wait for the WAL flush: a run's terminal status does; its claim and checkpoints do not.

Flushing the WAL up to the synchronous finish commit makes every earlier commit
(the claim, the checkpoints) durable too, so a run that reports success has a
durable final state.
"""

import asyncio

import pytest
from django.db import connection

from apps.graphs.checkpointer import get_async_checkpointer, get_sync_checkpointer
from apps.runs import services, transitions
from apps.threads.services import create_thread

pytestmark = pytest.mark.django_db(transaction=True)


def _setting(cursor_owner) -> str:
    with cursor_owner.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_claim_commits_asynchronously_without_leaking_into_the_finish(assistants, no_dispatch) -> None:
    thread = create_thread()
    services.create_run({"assistant_id": "packaged", "input": {"count": 1}}, thread.thread_id)
    run = transitions.claim_next_run(str(thread.thread_id))
    assert run is not None and run.async_commit == "off"
    # The setting was local to the claim's transaction: finish_run's commit, on the
    # same connection, waits for the flush.
    assert _setting(connection) == "on"


def test_worker_checkpoints_commit_asynchronously_and_api_writes_do_not(assistants) -> None:
    async def worker_setting() -> str:
        saver = await get_async_checkpointer()
        try:
            async with saver.conn.connection() as conn:
                return (await (await conn.execute("SHOW synchronous_commit")).fetchone())["synchronous_commit"]
        finally:
            await saver.conn.close()

    assert asyncio.run(worker_setting()) == "off"
    with get_sync_checkpointer().conn.connection() as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone()["synchronous_commit"] == "on"
