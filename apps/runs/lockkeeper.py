"""The heartbeat of a worker process, from one background thread.

Every THREAD_LOCK_RENEW_S it renews the Redis thread locks this process holds
and the PostgreSQL leases of the runs it executes. If the process dies, both
lapse: the lock expires and the sweeper re-dispatches the run.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections

from apps.runs import transitions
from apps.runs.locks import ThreadLock

logger = logging.getLogger(__name__)


class LockKeeper:
    def __init__(self) -> None:
        self._locks: set[ThreadLock] = set()
        self._runs: set = set()
        self._mutex = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    def hold(self, lock: ThreadLock) -> None:
        with self._mutex:
            self._locks.add(lock)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._renew_forever, name="lock-keeper", daemon=True)
                self._thread.start()

    def drop(self, lock: ThreadLock) -> None:
        with self._mutex:
            self._locks.discard(lock)

    def hold_run(self, run_id: object) -> None:
        with self._mutex:
            self._runs.add(run_id)

    def drop_run(self, run_id: object) -> None:
        with self._mutex:
            self._runs.discard(run_id)

    def _renew_forever(self) -> None:
        while not self._wake.wait(settings.THREAD_LOCK_RENEW_S):
            self.renew_all()

    def renew_all(self) -> None:
        with self._mutex:
            locks, runs = list(self._locks), list(self._runs)
        self._renew_leases(runs)
        self._renew_locks(locks)

    def _renew_locks(self, locks: list[ThreadLock]) -> None:
        """All in one pipeline: a worker may hold hundreds of threads' locks."""
        if not locks:
            return
        try:
            pipe = locks[0].client.pipeline(transaction=False)
            for lock in locks:
                lock.renew(pipe)
            renewed = pipe.execute()
        except Exception:  # Redis hiccup: try again next tick, the TTL leaves room
            logger.warning("could not renew %d thread locks", len(locks), exc_info=True)
            return
        for lock, ok in zip(locks, renewed, strict=True):
            if not ok:
                logger.error("lost thread lock %s", lock.key)

    def _renew_leases(self, run_ids: list) -> None:
        if not run_ids:
            return
        try:
            transitions.renew_leases(run_ids)
        except Exception:  # database hiccup: the lease leaves room for the next tick
            logger.warning("could not renew run leases", exc_info=True)
            close_old_connections()


lock_keeper = LockKeeper()
