"""What `manage.py dev` watches to reload, like `langgraph dev`: the application's files.

The folder of langgraph.json and every local `dependencies` entry are watched
(watchfiles, inotify) in a background thread; a batch of changes is handed to
the supervisor's loop through a queue.
"""

import logging
import queue
import threading
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from apps.graphs.config import LangGraphConfig

logger = logging.getLogger("agentplatform.dev")

# Files whose change means new behaviour: code, the config and the env file it names, project metadata.
WATCHED_SUFFIXES = (".py", ".json", ".toml", ".yaml", ".yml", ".env")
# Folders of tools and servers: never application code.
IGNORED_DIRS = (*DefaultFilter.ignore_dirs, ".agentplatform", ".langgraph_api", ".ruff_cache", "test-artifacts")


def watched_paths(config: LangGraphConfig) -> list[Path]:
    """The config's folder and local dependencies (`.`, `./pkg`, `/abs/path`), outermost only."""
    candidates = [config.base_dir.resolve()]
    for dependency in config.dependencies:
        if dependency.startswith((".", "/")):
            path = (config.base_dir / dependency).resolve()
            if path.exists():
                candidates.append(path)
    outermost: list[Path] = []
    for path in sorted(set(candidates), key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(kept) for kept in outermost):
            outermost.append(path)
    return outermost


class ReloadFilter(DefaultFilter):
    """watchfiles' defaults (no VCS, caches, virtualenvs), the data folder, and only files that matter."""

    def __init__(self, ignore_paths: list[Path]) -> None:
        super().__init__(ignore_dirs=IGNORED_DIRS, ignore_paths=[str(path) for path in ignore_paths])

    def __call__(self, change: Change, path: str) -> bool:
        return path.endswith(WATCHED_SUFFIXES) and super().__call__(change, path)


class FileWatcher:
    """Watches in a daemon thread; `changes` receives one set of changed paths per batch."""

    def __init__(self, paths: list[Path], ignore_paths: list[Path]) -> None:
        self.paths = paths
        self.filter = ReloadFilter(ignore_paths)
        self.changes: queue.Queue[set[str]] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dev-reload-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            # A short debounce: an editor's save is a burst of events within a few ms.
            for batch in watch(
                *self.paths,
                watch_filter=self.filter,
                stop_event=self._stop,
                debounce=400,
                raise_interrupt=False,
            ):
                self.changes.put({path for _, path in batch})
        except Exception as exc:  # e.g. the inotify watch limit: serving goes on, without reload
            logger.warning("reload is off: watching %s failed: %s", ", ".join(map(str, self.paths)), exc)

    def stop(self) -> None:
        self._stop.set()
