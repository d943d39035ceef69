"""Log records carry the run and thread they concern; LOG_FORMAT=json writes one JSON object per line."""

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator

current_run_id: contextvars.ContextVar[str] = contextvars.ContextVar("run_id", default="")
current_thread_id: contextvars.ContextVar[str] = contextvars.ContextVar("thread_id", default="")


@contextlib.contextmanager
def run_context(run_id: str, thread_id: str) -> Iterator[None]:
    run_token, thread_token = current_run_id.set(run_id), current_thread_id.set(thread_id)
    try:
        yield
    finally:
        current_run_id.reset(run_token)
        current_thread_id.reset(thread_token)


class RunContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = current_run_id.get()
        record.thread_id = current_thread_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("run_id", "thread_id"):
            if getattr(record, key, ""):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)
