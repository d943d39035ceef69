"""One asyncio event loop per worker process, run in a daemon thread.

Celery's threads hand each claimed run to this loop and return (apps.runs.worker);
so a process holds up to MAX_RUNS_PER_WORKER runs at once, each an awaiting
coroutine, sharing one checkpointer pool and one Redis client, and a running
graph is an asyncio task that can be cancelled mid-node.

The loop is uvloop's: in-process, a trivial run's graph, checkpoints and events
cost 2.6-2.9 ms of CPU on it against 3.0-3.3 ms on asyncio's own loop.
"""

import asyncio
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import uvloop

from agentplatform.compat import is_checkpoint_serializer

T = TypeVar("T")


class RunLoopExecutor(ThreadPoolExecutor):
    """The run loop's default executor: checkpoint (de)serialisation runs inline, the rest on threads.

    A thread hop (submit, wake a thread, wake the loop again) cost more CPU than
    serialising a typical run's state, and under the GIL the serialiser cannot run
    in parallel with the loop anyway. Everything else (a graph's sync nodes, which
    may block on I/O) still gets a thread.
    """

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if not is_checkpoint_serializer(fn):
            return super().submit(fn, *args, **kwargs)
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the awaiting coroutine, as a thread's would be
            future.set_exception(exc)
        return future


class RunLoop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        # After a fork the thread is gone: start a fresh loop in the child.
        if self._loop is None or self._pid != os.getpid():
            with self._lock:
                if self._loop is None or self._pid != os.getpid():
                    loop = uvloop.new_event_loop()
                    loop.set_default_executor(RunLoopExecutor(thread_name_prefix="run-loop-executor"))
                    thread = threading.Thread(target=loop.run_forever, name="run-loop", daemon=True)
                    thread.start()
                    self._loop, self._pid = loop, os.getpid()
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `coro` on the shared loop; the future completes when it returns."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the shared loop and block the calling thread until it returns."""
        return self.submit(coro).result()


run_loop = RunLoop()
