"""Renews the thread locks this process holds, from one background thread."""

import logging
import threading

from django.conf import settings

from apps.runs.locks import ThreadLock

logger = logging.getLogger(__name__)


class LockKeeper:
    def __init__(self) -> None:
        self._locks: set[ThreadLock] = set()
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

    def _renew_forever(self) -> None:
        while not self._wake.wait(settings.THREAD_LOCK_RENEW_S):
            self.renew_all()

    def renew_all(self) -> None:
        with self._mutex:
            locks = list(self._locks)
        for lock in locks:
            try:
                if not lock.renew():
                    logger.error("lost thread lock %s", lock.key)
            except Exception:  # Redis hiccup: try again next tick, the TTL leaves room
                logger.warning("could not renew %s", lock.key, exc_info=True)


lock_keeper = LockKeeper()
