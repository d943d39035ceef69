"""Drive runs through the real services in-process: create, then execute as a worker would."""

from typing import Any

from apps.core.redis import get_redis
from apps.runs import services
from apps.runs.models import Run
from apps.runs.streams import stream_key
from apps.runs.worker import execute_thread_runs


def create_and_execute(payload: dict[str, Any], thread_id: Any = None) -> Run:
    run = services.create_run(payload, thread_id)
    execute_thread_runs(str(run.thread_id))
    return run


def stream_events(run_id: Any) -> list[tuple[str, bytes]]:
    entries = get_redis().xrange(stream_key(str(run_id)))
    return [(fields[b"e"].decode(), fields[b"d"]) for _, fields in entries]
