"""One asyncio event loop per worker process, run in a daemon thread.

Celery executes tasks on a thread pool (`--pool threads`); each task hands its
run's coroutine to this loop and waits. So a process runs N_JOBS_PER_WORKER
runs concurrently while sharing one checkpointer pool and one Redis client,
and a running graph is an asyncio task that can be cancelled mid-node.
"""

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


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
                    loop = asyncio.new_event_loop()
                    thread = threading.Thread(target=loop.run_forever, name="run-loop", daemon=True)
                    thread.start()
                    self._loop, self._pid = loop, os.getpid()
        return self._loop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the shared loop and block the calling thread until it returns."""
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop()).result()


run_loop = RunLoop()
