"""The per-thread Redis lock that serializes a thread's runs across the fleet.

Protocol:
1. A worker about to execute a run of thread T does `SET lock:thread:T <token> NX PX ttl`
   (and clears T's wake flag if that succeeds: it is about to claim). Failing that,
   another worker is executing one of T's runs; this worker returns
   at once (it never waits holding a slot): the holder starts T's next pending
   run when it finishes.
2. While the run executes, a heartbeat renews the expiry, but only if the key
   still holds our token (Lua compare-and-pexpire).
3. Release deletes the key only if it still holds our token (Lua compare-and-delete),
   so a worker whose lock expired cannot free a lock another worker now owns.
   The same script reads-and-clears the thread's wake flag, raised by workers
   that found the lock taken: the releaser then takes the lock again and claims
   what they left (or, if someone else took it meanwhile, that one does).
4. If the holder dies, the key expires after `ttl`; the database constraint
   `one_running_run_per_thread` still forbids two running runs meanwhile.
5. Dispatching a run raises the wake flag and checks for the lock in one Lua
   call (`wake_holder`): if a worker holds it, no task is sent, because that
   holder sees the flag at release (step 3) and claims what arrived. So a busy
   thread's queued runs cost no Celery message each.
"""

import secrets
from typing import Any

import redis
from django.conf import settings

ACQUIRE_SCRIPT = """
if redis.call('set', KEYS[1], ARGV[1], 'nx', 'px', ARGV[2]) then
    redis.call('del', KEYS[2])
    return 1
end
return 0
"""

RENEW_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE_SCRIPT = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    redis.call('del', KEYS[1])
end
return redis.call('getdel', KEYS[2])
"""

WAKE_HOLDER_SCRIPT = """
redis.call('set', KEYS[2], '1', 'px', ARGV[1])
return redis.call('exists', KEYS[1])
"""


def lock_key(thread_id: str) -> str:
    return f"lock:thread:{thread_id}"


def wake_key(thread_id: str) -> str:
    return f"wake:thread:{thread_id}"


def wake_holder(client: redis.Redis, thread_id: str) -> bool:
    """Raise the thread's wake flag; True if a worker holds its lock (and so will act on the flag)."""
    ttl_ms = int(settings.THREAD_LOCK_TTL_S * 4000)
    return bool(client.eval(WAKE_HOLDER_SCRIPT, 2, lock_key(thread_id), wake_key(thread_id), ttl_ms))


class ThreadLock:
    def __init__(self, client: redis.Redis, thread_id: str, ttl_s: float | None = None) -> None:
        self.client = client
        self.thread_id = thread_id
        self.key = lock_key(thread_id)
        self.wake = wake_key(thread_id)
        self.token = secrets.token_hex(16)
        self.ttl_ms = int((ttl_s or settings.THREAD_LOCK_TTL_S) * 1000)

    def acquire(self) -> bool:
        """Take the lock; taking it also clears the wake flag, since the new holder
        claims every pending run anyway (one round trip for both)."""
        return bool(self.client.eval(ACQUIRE_SCRIPT, 2, self.key, self.wake, self.token, self.ttl_ms))

    def renew(self, client: Any = None) -> Any:
        """Extend the expiry; False means we lost the lock. On a pipeline (`client`) the
        command is queued and its answer comes with the pipeline's."""
        if client is not None:
            return client.eval(RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms)
        return bool(self.client.eval(RENEW_SCRIPT, 1, self.key, self.token, self.ttl_ms))

    def release_and_take_wake_flag(self) -> bool:
        """Release (if still ours) and clear the wake flag atomically; True if it was raised."""
        return self.client.eval(RELEASE_SCRIPT, 2, self.key, self.wake, self.token) is not None

    def raise_wake_flag(self) -> None:
        """Tell the holder that a run arrived while it held the lock."""
        self.client.set(self.wake, b"1", px=self.ttl_ms * 4)

    def owned(self) -> bool:
        value = self.client.get(self.key)
        return value is not None and value.decode() == self.token
