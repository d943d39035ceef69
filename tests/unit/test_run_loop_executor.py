"""The worker's run loop serialises checkpoints inline and gives everything else a thread."""

import asyncio
import threading
from typing import Any

import pytest
import uvloop
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from apps.runs.worker_loop import RunLoop, RunLoopExecutor


class ThreadRecordingSaver(AsyncPostgresSaver):
    """Records the thread each (de)serialiser ran on; never connects (conn=None)."""

    def __init__(self) -> None:
        super().__init__(conn=None)
        self.threads: dict[str, int] = {}

    def _dump_writes(self, *args: Any) -> Any:
        self.threads["_dump_writes"] = threading.get_ident()
        return super()._dump_writes(*args)

    def _load_writes(self, writes: Any) -> Any:
        self.threads["_load_writes"] = threading.get_ident()
        return super()._load_writes(writes)


def as_stored(row: tuple) -> tuple[bytes, ...]:
    """A `_dump_writes` row as the saver reads it back: task, channel, type, value, path, index."""
    _thread, _ns, _checkpoint, task_id, task_path, index, channel, type_, value = row
    return task_id.encode(), channel.encode(), type_.encode(), value, task_path.encode(), str(index).encode()


async def on_loop_with_run_loop_executor(scenario: Any) -> Any:
    loop = asyncio.get_running_loop()
    executor = RunLoopExecutor()
    loop.set_default_executor(executor)
    try:
        return await scenario(threading.get_ident())
    finally:
        executor.shutdown(wait=True)


def test_checkpoint_serialisers_run_on_the_loop_thread() -> None:
    async def scenario(loop_thread: int) -> None:
        saver = ThreadRecordingSaver()
        dumped = await asyncio.to_thread(saver._dump_writes, "t", "", "c", "task", "", [("text", "hi")])
        loaded = await asyncio.to_thread(saver._load_writes, [as_stored(dumped[0])])
        assert loaded == [("task", "text", "hi")]
        assert saver.threads == {"_dump_writes": loop_thread, "_load_writes": loop_thread}

    asyncio.run(on_loop_with_run_loop_executor(scenario))


def test_other_callables_still_get_a_thread() -> None:
    """A graph's sync node may block on I/O: running it inline would stall every run of the process."""

    async def scenario(loop_thread: int) -> None:
        assert await asyncio.to_thread(threading.get_ident) != loop_thread
        assert await asyncio.get_running_loop().run_in_executor(None, threading.get_ident) != loop_thread

    asyncio.run(on_loop_with_run_loop_executor(scenario))


def test_a_serialiser_error_reaches_the_awaiting_coroutine() -> None:
    async def scenario(loop_thread: int) -> None:
        saver = ThreadRecordingSaver()
        with pytest.raises(NotImplementedError):
            await asyncio.to_thread(saver._load_writes, [(b"task", b"text", b"no-such-type", b"", b"", b"0")])
        assert saver.threads["_load_writes"] == loop_thread

    asyncio.run(on_loop_with_run_loop_executor(scenario))


def test_the_run_loop_is_uvloop_and_serialises_checkpoints_inline() -> None:
    async def probe() -> tuple[type, int, int]:
        saver = ThreadRecordingSaver()
        await asyncio.to_thread(saver._dump_writes, "t", "", "c", "task", "", [("text", "hi")])
        return type(asyncio.get_running_loop()), saver.threads["_dump_writes"], threading.get_ident()

    loop_class, serialiser_thread, loop_thread = RunLoop().run(probe())
    assert issubclass(loop_class, uvloop.Loop)
    assert serialiser_thread == loop_thread
