"""The worker: for each thread a `runs.execute` message names, lock → claim → execute → finish.

A run's slot is an awaiting coroutine on the process's event loop
(apps.runs.worker_loop), not a Celery thread: Celery's threads only hand runs
over, so one process holds hundreds of model-bound runs at once.

Protocol (one worker process; the lock is apps.runs.locks', the signals apps.runs.cancellation's):
1. A `runs.execute(run_id, thread_id)` message reaches one of the process's Celery
   threads. The thread waits for a run slot: fewer than MAX_RUNS_PER_WORKER runs in
   flight, and memory not short (WORKER_MAX_RSS_MB, WORKER_MIN_AVAILABLE_MEMORY_MB);
   a process with nothing in flight always admits one. While every Celery thread
   waits, the process fetches no message (prefetch 1): a full worker leaves the
   queue to the others (back-pressure).
2. It takes the thread's Redis lock. If another worker holds it, it raises the
   wake flag and tries once more: either it gets the lock now, or the holder still
   had it after the flag went up and will see the flag at release (step 6). No
   slot ever waits for a busy thread.
3. Holding the lock, it claims the thread's oldest pending run: one compare-and-set
   UPDATE that also sets the run's lease in PostgreSQL (apps.runs.transitions). A
   duplicate delivery claims nothing. Nothing to claim: step 6. A claim that fails
   (PostgreSQL down) releases the lock; the run stays pending for the sweeper.
4. It hands the claimed run to the event loop and returns, so Celery acks the message
   (acks_late) only once the run is leased. From then on a lost process (SIGKILL)
   loses nothing: its lock and lease lapse, the sweeper puts the run back to pending
   and re-dispatches it, and the run resumes from its last checkpoint. A message
   acked with nothing claimed leaves its run pending, for the lock's holder or,
   failing that, the sweeper. Durability is the lease and the sweeper's, not the
   broker's (at-least-once: a run executes again only after its lease lapsed).
5. On the loop the run is an asyncio task that awaits alongside the others. The
   heartbeat (apps.runs.lockkeeper) renews the lock and the lease; a stop signal
   cancels it mid-node. Its end is decided in one place (`_execute`) and recorded
   by `transitions.finish_run` on a database thread, shielded from cancellation.
6. Still holding the lock, it claims the thread's next run if the last claim saw
   more (back to 5); otherwise it releases the lock and reads-and-clears the wake
   flag in one call. Flag raised: take the lock again and claim (step 3); failing
   that, whoever took it claims. The slot is freed when the thread is left.
7. Shutdown (SIGTERM): admission stops at once (waiting messages return; their
   runs stay pending); nothing more is claimed; runs in flight get
   WORKER_SHUTDOWN_GRACE_S to finish, then are stopped with `requeue` (back to
   pending, the attempt not counted, dispatched to another worker); the process
   exits once each is recorded. A thread left with pending runs gets its next
   one dispatched.
"""

import asyncio
import contextvars
import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import psutil
from django.conf import settings
from django.db import close_old_connections
from redis.exceptions import RedisError

from apps.assistants.models import Assistant
from apps.core.dbpools import check_idle_connections
from apps.core.failures import is_transient
from apps.core.logcontext import run_context
from apps.core.redis import get_redis
from apps.graphs.checkpointer import delete_run_checkpoints
from apps.runs import dispatch, executor, transitions
from apps.runs.cancellation import CancelAction, clear_cancel, requeue_running_runs
from apps.runs.lockkeeper import lock_keeper
from apps.runs.locks import ThreadLock
from apps.runs.models import Run, RunStatus
from apps.runs.services import DEFAULT_STREAM_MODES
from apps.runs.worker_loop import run_loop
from apps.threads.models import ThreadStatus

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How often a Celery thread waiting for a slot looks again (memory frees without notice).
ADMISSION_RECHECK_S = 0.2
# How long memory readings are reused: reading them for each admission would cost more than the claim.
MEMORY_READING_TTL_S = 0.5
# After the grace, how long shutdown waits for the requeued runs to be recorded.
REQUEUE_WAIT_S = 10.0
REQUEUE_RETRY_S = 1.0
# A run an outage interrupted: the pause before its retry, doubled per attempt and capped, and
# how many executions such retries may add to RUN_MAX_ATTEMPTS (1+2+4+8+16 s: a minute-long
# outage), so that reconnecting after an outage cannot use up the budget for lost workers.
OUTAGE_RETRY_DELAY_S = 1.0
OUTAGE_RETRY_MAX_DELAY_S = 30.0
OUTAGE_EXTRA_ATTEMPTS = 5
# Between tries of a run's bookkeeping write while PostgreSQL is away.
OUTAGE_WRITE_RETRY_S = 0.5


class MemoryGauge:
    """Is memory short? This process's RSS against WORKER_MAX_RSS_MB, the host's available
    memory against WORKER_MIN_AVAILABLE_MEMORY_MB (0 switches a check off); cached briefly."""

    def __init__(self) -> None:
        self._process = psutil.Process()
        self._checked_at = -MEMORY_READING_TTL_S
        self._short = False

    def short(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at >= MEMORY_READING_TTL_S:
            self._checked_at, self._short = now, self._read()
        return self._short

    def _read(self) -> bool:
        max_rss_mb, min_available_mb = settings.WORKER_MAX_RSS_MB, settings.WORKER_MIN_AVAILABLE_MEMORY_MB
        if max_rss_mb and self._process.memory_info().rss > max_rss_mb * 2**20:
            return True
        return bool(min_available_mb) and psutil.virtual_memory().available < min_available_mb * 2**20


class Worker:
    """One per process: admits threads (step 1), serves them on the run loop, drains at shutdown."""

    def __init__(self) -> None:
        self._slots = threading.Condition()
        self._in_flight = 0
        self._stopping = threading.Event()
        # Set when the shutdown grace ends: a run handed over but not started yet is requeued at once.
        self._grace_over = threading.Event()
        self._requeued = 0  # runs this worker handed back since its grace ended (on the run loop)
        self._memory = MemoryGauge()
        self._db: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------ admission (Celery threads)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def accept(self, thread_id: str) -> Future | None:
        """Steps 1-4: the future of serving the thread on the loop, or None if nothing was claimed."""
        if not self._take_slot():
            dispatch.dispatch_next_pending(thread_id)  # shutting down: another worker takes it
            return None
        handed_off = False
        try:
            lock = ThreadLock(get_redis(), thread_id)
            if not lock.acquire():
                lock.raise_wake_flag()
                if not lock.acquire():
                    return None
            run = None
            try:
                run = self._claim_or_leave(lock, claim=True)
                if run is None:
                    return None
                future = run_loop.submit(self._serve(lock, run))
            except BaseException:
                # PostgreSQL failed under the claim (an outage), or the run loop is gone: let go
                # of the thread (and the run), or the heartbeat would renew them, and so keep every
                # run of the thread pending, for ever. The sweeper re-dispatches what is left.
                if run is not None:
                    lock_keeper.drop_run(run.run_id)
                self._leave(lock)
                raise
            handed_off = True
            return future
        finally:
            if not handed_off:
                self._free_slot()

    def _take_slot(self) -> bool:
        with self._slots:
            while not self._stopping.is_set() and not self._has_room():
                self._slots.wait(ADMISSION_RECHECK_S)
            if self._stopping.is_set():
                return False
            self._in_flight += 1
            return True

    def _has_room(self) -> bool:
        if self._in_flight == 0:
            return True  # progress: memory pressure slows a worker down, it never stalls it
        return self._in_flight < settings.MAX_RUNS_PER_WORKER and not self._memory.short()

    def _free_slot(self) -> None:
        with self._slots:
            self._in_flight -= 1
            self._slots.notify_all()

    # ------------------------------------------------------------ the thread's lock (Celery or database threads)

    def _claim_or_leave(self, lock: ThreadLock, claim: bool) -> Run | None:
        """Holding the lock: the thread's next run (steps 3, 6), or None once the thread is left."""
        lock_keeper.hold(lock)
        while True:
            if claim and not self._stopping.is_set():
                run = transitions.claim_next_run(lock.thread_id)
                if run is not None:
                    lock_keeper.hold_run(run.run_id)
                    return run
            lock_keeper.drop(lock)
            woken = _release(lock)
            if self._stopping.is_set():  # what this worker no longer claims goes to another one
                dispatch.dispatch_next_pending(lock.thread_id)
                return None
            if not woken or not lock.acquire():
                return None
            lock_keeper.hold(lock)
            claim = True

    @staticmethod
    def _leave(lock: ThreadLock) -> None:
        """Stop renewing the thread's lock and release it (after a failure: the wake flag it
        takes is the sweeper's to act on)."""
        lock_keeper.drop(lock)
        _release(lock)

    # ------------------------------------------------------------ on the run loop

    async def _serve(self, lock: ThreadLock, run: Run | None) -> None:
        """Steps 5-6 for one thread, its runs one after the other."""
        try:
            while run is not None:
                await self._execute(run)
                run = await self._in_db(self._claim_or_leave, lock, run.has_more)
        except BaseException:
            logger.exception("worker: leaving thread %s after an unexpected error", lock.thread_id)
            await self._in_db(self._leave, lock)
            raise
        finally:
            self._free_slot()

    async def _execute(self, run: Run) -> None:
        """Execute one claimed run and record its end: the one place its final status is decided."""
        with run_context(str(run.run_id), str(run.thread_id)):
            try:
                spec = build_run_spec(run)
                if self._grace_over.is_set():
                    await self._requeue(run)
                    return
                try:
                    # No await between the check above and the run's registration with the
                    # cancel watcher: requeue_running_runs (on this loop) sees it either way.
                    outcome: executor.RunOutcome | None = await executor.execute_cancellable(spec)
                    if outcome.cancelled_with == CancelAction.REQUEUE:
                        await self._requeue(run)
                        return
                    if outcome.cancelled_with is not None:
                        outcome = await self._settle_cancelled(run, spec, outcome)
                except Exception as exc:  # the executor reports graph errors itself; this is infrastructure
                    outcome = failure_outcome(run, exc)
                if outcome is None:
                    await self._in_db(_retry_after_outage, run)
                    return
                await asyncio.shield(self._in_db(_record_or_fail, run, outcome))
            finally:
                lock_keeper.drop_run(run.run_id)

    async def _requeue(self, run: Run) -> None:
        await self._in_db(transitions.requeue_run, run)
        if self._grace_over.is_set():
            self._requeued += 1

    async def _settle_cancelled(
        self, run: Run, spec: executor.RunSpec, outcome: executor.RunOutcome
    ) -> executor.RunOutcome:
        """After a stop signal: for rollback drop the run's checkpoints; record the state it leaves."""
        if outcome.cancelled_with == CancelAction.ROLLBACK:
            await self._in_db(delete_run_checkpoints, str(run.thread_id), str(run.run_id))
        return await executor.state_after_cancel(spec, outcome)

    async def _in_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking database work on the worker's database threads, with this task's log context."""
        if self._db is None:
            self._db = ThreadPoolExecutor(settings.WORKER_DB_THREADS, thread_name_prefix="run-db")
        call = functools.partial(contextvars.copy_context().run, _database_call, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(self._db, call)

    # ------------------------------------------------------------ shutdown (step 7)

    def stop_admitting(self) -> None:
        """SIGTERM (called in the signal handler: no lock taken): claim nothing more."""
        self._stopping.set()

    def drain(self, grace_s: float) -> int:
        """Let runs in flight finish for grace_s, then requeue the rest; blocks until they are
        recorded (at most REQUEUE_WAIT_S more). Returns how many were requeued: those the cancel
        watcher stopped and those handed over but not started yet, which requeue themselves."""
        self.stop_admitting()
        if self._wait_idle(grace_s):
            return 0
        self._grace_over.set()
        run_loop.run(requeue_running_runs())
        deadline = time.monotonic() + REQUEUE_WAIT_S
        while not self._wait_idle(min(REQUEUE_RETRY_S, deadline - time.monotonic())):
            if time.monotonic() >= deadline:
                logger.error("worker shutdown: %d runs still in flight; the sweeper will requeue them", self._in_flight)
                break
            run_loop.run(requeue_running_runs())  # again, for a stop that a run's set-up swallowed
        if self._requeued:
            logger.warning("worker shutdown: requeued %d unfinished runs", self._requeued)
        return self._requeued

    def _wait_idle(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        with self._slots:
            while self._in_flight and (left := deadline - time.monotonic()) > 0:
                self._slots.wait(left)
            return not self._in_flight


def failure_outcome(run: Run, exc: Exception) -> executor.RunOutcome | None:
    """An exception from executing a run (not from the graph: the executor reports those) becomes
    its outcome here: None when PostgreSQL or Redis failed under it (apps.core.failures: the run
    goes back to pending and resumes from its last checkpoint), else `error` at once with the
    reason (a value PostgreSQL cannot store never gets better by retrying). An outage that
    outlasts RUN_MAX_ATTEMPTS + OUTAGE_EXTRA_ATTEMPTS executions ends the run `error` too.
    """
    if is_transient(exc) and run.attempt < settings.RUN_MAX_ATTEMPTS + OUTAGE_EXTRA_ATTEMPTS:
        logger.warning("run %s: %s: %s; retrying from its checkpoint", run.run_id, type(exc).__name__, exc)
        return None
    logger.exception("run %s could not execute", run.run_id)
    error = executor.error_info(exc)
    if is_transient(exc):
        error["message"] = f"{error['message']} (gave up after {run.attempt} attempts)"
    return executor.RunOutcome(
        status=RunStatus.ERROR,
        thread_status=ThreadStatus.ERROR,
        error=error,
        traceback=traceback.format_exc(),
    )


def _retry_after_outage(run: Run) -> None:
    """Back to pending, dispatched again after a pause that doubles with each attempt. While
    PostgreSQL is down even for that, try again for as long as the run's lease lasts; after
    that the lease has lapsed and the sweeper retries the run."""
    check_idle_connections()
    run.has_more = False  # claim no further run of this thread now: they stay behind this one
    delay_s = min(OUTAGE_RETRY_DELAY_S * 2 ** max(run.attempt - 1, 0), OUTAGE_RETRY_MAX_DELAY_S)
    _while_database_recovers(run, lambda: transitions.requeue_run(run, count_attempt=True, delay_s=delay_s))


def _while_database_recovers(run: Run, write: Callable[[], Any]) -> None:
    """Do a run's bookkeeping write, retrying it through an outage for up to RUN_LEASE_S."""
    deadline = time.monotonic() + settings.RUN_LEASE_S
    while True:
        try:
            write()
            return
        except Exception as exc:
            if not is_transient(exc):
                raise
            if time.monotonic() >= deadline:
                logger.warning("run %s: left to the sweeper (%s)", run.run_id, exc)
                return
            close_old_connections()  # the broken connection goes; the next try takes a checked one
            time.sleep(OUTAGE_WRITE_RETRY_S)


def _record_or_fail(run: Run, outcome: executor.RunOutcome) -> None:
    """Record the run's end. An outcome PostgreSQL refuses (a value it cannot store) ends the run
    `error` with that reason instead; an outage puts it back to pending, as during execution."""
    try:
        _record(run, outcome)
    except Exception as exc:
        failed = failure_outcome(run, exc)
        if failed is None:
            _retry_after_outage(run)
        else:
            _while_database_recovers(run, lambda: _record(run, failed))


def _record(run: Run, outcome: executor.RunOutcome) -> None:
    transitions.finish_run(run, outcome)
    if outcome.cancelled_with == CancelAction.ROLLBACK:
        transitions.delete_rolled_back_run(run)
    if outcome.cancelled_with is not None:
        clear_cancel(get_redis(), str(run.run_id))


def _release(lock: ThreadLock) -> bool:
    """Release the lock; True if the wake flag was up."""
    try:
        return lock.release_and_take_wake_flag()
    except RedisError:  # the lock expires by itself; the sweeper covers what the flag would have said
        logger.warning("could not release %s: Redis unavailable", lock.key)
        return False


def _database_call(fn: Callable[..., T], *args: Any) -> T:
    """As Celery does around a task: the connection goes back to the pool after the call
    (shared with the process's other threads; a broken one is discarded, not reused)."""
    try:
        return fn(*args)
    finally:
        close_old_connections()


def build_run_spec(run: Run) -> executor.RunSpec:
    kwargs = run.kwargs
    assistant = run.assistant
    return executor.RunSpec(
        run_id=str(run.run_id),
        thread_id=str(run.thread_id),
        graph_id=assistant.graph_id,
        config=_graph_config(run, assistant),
        context=_run_context(run, assistant),
        user=kwargs.get("auth_user"),
        input=kwargs.get("input"),
        command=kwargs.get("command"),
        stream_modes=kwargs.get("stream_mode") or list(DEFAULT_STREAM_MODES),
        subgraphs=bool(kwargs.get("stream_subgraphs")),
        interrupt_before=kwargs.get("interrupt_before"),
        interrupt_after=kwargs.get("interrupt_after"),
        durability=kwargs.get("durability"),
        attempt=run.attempt,
    )


def _run_context(run: Run, assistant: Assistant) -> dict[str, Any]:
    """As upstream: the assistant's context updated by the run's; without either, the
    configurable the run was given (what graphs read before `context` existed). The
    executor keeps the keys the graph's context schema declares."""
    context = {**(assistant.context or {}), **(run.kwargs.get("context") or {})}
    if context:
        return context
    return {
        **(assistant.config or {}).get("configurable", {}),
        **(run.kwargs.get("config") or {}).get("configurable", {}),
    }


def _graph_config(run: Run, assistant: Assistant) -> dict[str, Any]:
    assistant_config = assistant.config or {}
    run_config = run.kwargs.get("config") or {}
    configurable = {
        **assistant_config.get("configurable", {}),
        **run_config.get("configurable", {}),
        "thread_id": str(run.thread_id),
        "run_id": str(run.run_id),
        "assistant_id": str(assistant.assistant_id),
        "graph_id": assistant.graph_id,
    }
    checkpoint = run.kwargs.get("checkpoint") or {}
    checkpoint_id = run.kwargs.get("checkpoint_id") or checkpoint.get("checkpoint_id")
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    if checkpoint.get("checkpoint_ns"):
        configurable["checkpoint_ns"] = checkpoint["checkpoint_ns"]
    config = {**assistant_config, **run_config, "configurable": configurable}
    config["metadata"] = {
        **assistant_config.get("metadata", {}),
        **run_config.get("metadata", {}),
        **run.metadata,
        "run_id": str(run.run_id),
        "thread_id": str(run.thread_id),
        "assistant_id": str(assistant.assistant_id),
        "graph_id": assistant.graph_id,
    }
    return config


worker = Worker()


def execute_thread_runs(thread_id: str) -> None:
    """Serve the thread until it is left, blocking the caller (tests and tools; Celery uses accept)."""
    future = worker.accept(thread_id)
    if future is not None:
        future.result()
