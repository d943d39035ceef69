"""A pooled saver runs a process's checkpoint operations side by side, not one at a time.

langgraph-checkpoint-postgres guards every operation with one instance lock, meant
for a single shared connection; on our pools each operation has a connection of its
own, so the checkpointer factories widen that lock to the pool's size.
"""

import asyncio
import threading

import pytest

from apps.graphs.checkpointer import get_async_checkpointer, get_sync_checkpointer

pytestmark = pytest.mark.django_db(transaction=True)


def test_async_saver_operations_overlap() -> None:
    async def two_operations_at_once() -> int:
        saver = await get_async_checkpointer()
        inside, both_inside, release = [], asyncio.Event(), asyncio.Event()

        async def operation() -> None:
            async with saver._cursor() as cursor:  # the path every saver operation takes
                await cursor.execute("SELECT pg_backend_pid() AS pid")
                inside.append((await cursor.fetchone())["pid"])
                if len(inside) == 2:
                    both_inside.set()
                await release.wait()

        tasks = [asyncio.ensure_future(operation()) for _ in range(2)]
        try:
            await asyncio.wait_for(both_inside.wait(), timeout=5)
        finally:
            release.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await saver.conn.close()
        return len(set(inside))

    assert asyncio.run(two_operations_at_once()) == 2  # two connections, both in use at once


def test_sync_saver_operations_overlap() -> None:
    saver = get_sync_checkpointer()
    both_inside = threading.Barrier(2, timeout=5)
    pids: list[int] = []

    def operation() -> None:
        with saver._cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid() AS pid")
            pids.append(cursor.fetchone()["pid"])
            both_inside.wait()  # BrokenBarrierError here if the other is kept out

    threads = [threading.Thread(target=operation) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(set(pids)) == 2 and not both_inside.broken


def test_concurrency_stays_within_the_pool() -> None:
    saver = get_sync_checkpointer()
    for _ in range(saver.conn.max_size):
        assert saver.lock.acquire(blocking=False)
    assert not saver.lock.acquire(blocking=False)
    for _ in range(saver.conn.max_size):
        saver.lock.release()
