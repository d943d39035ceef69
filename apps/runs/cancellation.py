"""Stop signals for runs, reaching whichever worker executes them.

Protocol:
1. The requester sets `cancel:run:<id>` to the action (`interrupt` or
   `rollback`, a CancelAction) with an expiry, then publishes the run id on `runs:cancel`.
2. Each worker process keeps one subscription (`CancelWatcher`, on its run
   loop) and a map of the runs it is executing to their asyncio tasks. A
   message for one of them cancels that task at once, even inside a node.
3. The key is checked when a run registers (a signal sent while it was still
   pending or being claimed) and for all registered runs every
   WATCH_INTERVAL_S (a message lost to a reconnect cannot leave a run going).
4. The executor reports the action it was stopped with; the worker then
   records `interrupted`, or rolls the run back. A worker shutting down stops
   its own runs with `requeue` (no Redis key: it never leaves the process).
"""

import asyncio
import contextlib
import logging
from enum import StrEnum

import redis
import redis.asyncio as aioredis

logger = logging.getLogger(__name__)


class CancelAction(StrEnum):
    INTERRUPT = "interrupt"  # stop; keep the checkpoints it wrote
    ROLLBACK = "rollback"  # stop; delete the run and every checkpoint it wrote
    REQUEUE = "requeue"  # not a user's: the worker is shutting down, the run goes back to pending


CANCEL_CHANNEL = "runs:cancel"
CANCEL_KEY_TTL_S = 3600
WATCH_INTERVAL_S = 1.0
RESUBSCRIBE_DELAY_S = 1.0


def cancel_key(run_id: str) -> str:
    return f"cancel:run:{run_id}"


def send_cancel(client: redis.Redis, run_id: str, action: str) -> None:
    pipe = client.pipeline(transaction=False)
    pipe.set(cancel_key(run_id), action, ex=CANCEL_KEY_TTL_S)
    pipe.publish(CANCEL_CHANNEL, run_id)
    pipe.execute()


def clear_cancel(client: redis.Redis, run_id: str) -> None:
    client.delete(cancel_key(run_id))


class CancelWatcher:
    """One per worker process and event loop: maps running runs to their tasks."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.client = client
        self.running: dict[str, asyncio.Task] = {}
        self.actions: dict[str, CancelAction] = {}
        self._tasks = [asyncio.ensure_future(self._listen()), asyncio.ensure_future(self._sweep())]

    async def register(self, run_id: str, task: asyncio.Task) -> None:
        self.running[run_id] = task
        try:
            action = await self.client.get(cancel_key(run_id))
        except redis.RedisError:  # Redis down: the sweep checks again every WATCH_INTERVAL_S
            return
        if action is not None:
            self._cancel(run_id, action.decode())

    def unregister(self, run_id: str) -> CancelAction | None:
        """Forget the run; returns the action it was cancelled with, if any."""
        self.running.pop(run_id, None)
        return self.actions.pop(run_id, None)

    def requeue_all(self) -> int:
        """Worker shutdown: stop every run this process executes, to be requeued; returns how many
        are still running. Repeatable: a cancellation that code under the run swallowed (a run
        cancelled while it sets up its graph) is delivered again."""
        for run_id, task in list(self.running.items()):
            if self.actions.get(run_id) == CancelAction.REQUEUE and not task.done():
                task.cancel()
            else:
                self._cancel(run_id, CancelAction.REQUEUE)
        return len(self.running)

    def _cancel(self, run_id: str, action: str) -> None:
        task = self.running.get(run_id)
        if task is not None and not task.done() and run_id not in self.actions:
            self.actions[run_id] = CancelAction(action)
            task.cancel()

    async def _listen(self) -> None:
        while True:
            try:
                async with self.client.pubsub() as pubsub:
                    await pubsub.subscribe(CANCEL_CHANNEL)
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            await self._on_message(message["data"].decode())
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarted: the sweep covers the gap; resubscribe
                logger.warning("cancel subscription lost; resubscribing", exc_info=True)
                await asyncio.sleep(RESUBSCRIBE_DELAY_S)

    async def _on_message(self, run_id: str) -> None:
        if run_id in self.running:
            action = await self.client.get(cancel_key(run_id))
            if action is not None:
                self._cancel(run_id, action.decode())

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            run_ids = list(self.running)
            if not run_ids:
                continue
            with contextlib.suppress(Exception):
                actions = await self.client.mget([cancel_key(run_id) for run_id in run_ids])
                for run_id, action in zip(run_ids, actions, strict=True):
                    if action is not None:
                        self._cancel(run_id, action.decode())


_watchers: dict[asyncio.AbstractEventLoop, CancelWatcher] = {}


def get_watcher(client: aioredis.Redis) -> CancelWatcher:
    loop = asyncio.get_running_loop()
    watcher = _watchers.get(loop)
    if watcher is None:
        watcher = _watchers[loop] = CancelWatcher(client)
    return watcher


async def requeue_running_runs() -> int:
    """Called on the run loop when a worker's shutdown grace ends; returns how many runs were stopped."""
    loop = asyncio.get_running_loop()
    watcher = _watchers.get(loop)
    return watcher.requeue_all() if watcher else 0
