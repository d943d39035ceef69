"""Reading `langgraph.json`, the file `langgraph dev` reads.

Supported keys: `graphs` (`"id": "./path/file.py:var"` or `"package.module:var"`,
or `{"path": ..., "description": ...}`), `dependencies` (local paths are added to
sys.path; package names are pip's business and ignored here), `env` (a `.env`
path or an inline dict; never overrides variables already set), `checkpointer.ttl`
(`strategy`, `default_ttl` minutes for new threads, `sweep_interval_minutes`).
path or an inline dict; never overrides variables already set), `store` (`index`
for semantic search: `dims`, `embed`, `fields`; `ttl`: `default_ttl`,
`refresh_on_read`, `sweep_interval_minutes`).
"""

import functools
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings


class GraphConfigError(Exception):
    """langgraph.json, or one of its graph entries, cannot be used."""


@dataclass(frozen=True)
class GraphSpec:
    graph_id: str
    target: str  # "./src/agent/graph.py:graph" or "pkg.mod:graph"
    description: str | None = None

    @property
    def is_file(self) -> bool:
        module_part = self.target.rsplit(":", 1)[0]
        return module_part.endswith(".py") or "/" in module_part or module_part.startswith(".")

    def split(self) -> tuple[str, str]:
        if ":" not in self.target:
            raise GraphConfigError(f"graph {self.graph_id!r}: {self.target!r} must look like 'path/file.py:variable'")
        module_part, attr = self.target.rsplit(":", 1)
        if not module_part or not attr:
            raise GraphConfigError(f"graph {self.graph_id!r}: {self.target!r} must look like 'path/file.py:variable'")
        return module_part, attr


TTL_STRATEGIES = ("delete", "keep_latest")


@dataclass(frozen=True)
class CheckpointTTL:
    """langgraph.json `checkpointer.ttl`: what happens to threads nobody touched for a while."""

    strategy: str = "delete"
    default_ttl: float | None = None  # minutes, applied to threads created without a ttl
    sweep_interval_minutes: float | None = None


@dataclass(frozen=True)
class StoreConfig:
    """langgraph.json's `store` section; `embed` is still the unresolved string ("./emb.py:fn", "pkg.mod:fn")."""

    index: dict[str, Any] | None = None  # dims, embed, fields (+ distance_type, ann_index_config)
    ttl: dict[str, Any] | None = None  # default_ttl, refresh_on_read, sweep_interval_minutes


@dataclass(frozen=True)
class LangGraphConfig:
    path: Path
    graphs: dict[str, GraphSpec]
    dependencies: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    auth_path: str | None = None  # "./auth.py:auth": a langgraph_sdk.Auth
    checkpoint_ttl: CheckpointTTL = field(default_factory=CheckpointTTL)
    store: StoreConfig = field(default_factory=StoreConfig)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_config(path: str | Path) -> LangGraphConfig:
    """Parse langgraph.json; raises GraphConfigError with the reason."""
    path = Path(path).resolve()
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise GraphConfigError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise GraphConfigError(f"{path}: invalid JSON ({exc})") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("graphs"), dict) or not raw["graphs"]:
        raise GraphConfigError(f"{path}: needs a non-empty 'graphs' object")
    return LangGraphConfig(
        path=path,
        graphs={gid: _parse_graph_entry(gid, value) for gid, value in raw["graphs"].items()},
        dependencies=[str(d) for d in raw.get("dependencies", [])],
        env=_parse_env(path.parent, raw.get("env")),
        auth_path=_parse_auth(raw.get("auth")),
        checkpoint_ttl=_parse_checkpoint_ttl(raw.get("checkpointer")),
        store=parse_store_config(raw.get("store")),
    )


def _parse_checkpoint_ttl(checkpointer: Any) -> CheckpointTTL:
    if not isinstance(checkpointer, dict) or checkpointer.get("ttl") is None:
        return CheckpointTTL()
    ttl = checkpointer["ttl"]
    if not isinstance(ttl, dict):
        raise GraphConfigError("'checkpointer.ttl' must be an object")
    strategy = ttl.get("strategy") or "delete"
    if strategy not in TTL_STRATEGIES:
        raise GraphConfigError(f"'checkpointer.ttl.strategy' must be one of {TTL_STRATEGIES}, got {strategy!r}")
    numbers = {}
    for key in ("default_ttl", "sweep_interval_minutes"):
        value = ttl.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
            raise GraphConfigError(f"'checkpointer.ttl.{key}' must be a positive number of minutes")
        numbers[key] = value
    return CheckpointTTL(strategy=strategy, **numbers)


def get_config() -> LangGraphConfig:
    """The langgraph.json that settings.LANGGRAPH_CONFIG names, parsed on first use.

    Read when needed, never when settings load: tests and `manage.py dev` point
    LANGGRAPH_CONFIG elsewhere afterwards. Parsing imports no user code (the
    graph registry does that). Raises GraphConfigError.
    """
    return _parsed_config(str(settings.LANGGRAPH_CONFIG))


@functools.cache
def _parsed_config(path: str) -> LangGraphConfig:
    return load_config(path)


def forget_config() -> None:
    """Read langgraph.json again at the next get_config() (tests rewrite it)."""
    _parsed_config.cache_clear()


DEFAULT_THREAD_TTL_SWEEP_MINUTES = 5.0


def thread_ttl_sweep_interval_s() -> float:
    """Seconds between sweeps of expired threads: settings.THREAD_TTL_SWEEP_INTERVAL_S, else
    langgraph.json's checkpointer.ttl.sweep_interval_minutes, else 5 minutes.

    A broken langgraph.json gives the default here: beat must still start, and the
    processes that load graphs report the file with a better message.
    """
    if settings.THREAD_TTL_SWEEP_INTERVAL_S:
        return settings.THREAD_TTL_SWEEP_INTERVAL_S
    try:
        minutes = get_config().checkpoint_ttl.sweep_interval_minutes
    except (GraphConfigError, OSError, ValueError):
        minutes = None
    return 60.0 * (minutes or DEFAULT_THREAD_TTL_SWEEP_MINUTES)


def _parse_auth(auth: Any) -> str | None:
    if auth is None:
        return None
    if isinstance(auth, dict) and isinstance(auth.get("path"), str):
        return auth["path"]
    raise GraphConfigError("'auth' must be an object with a 'path' like './auth.py:auth'")


STORE_INDEX_KEYS = {"dims", "embed", "fields", "distance_type", "ann_index_config"}
STORE_TTL_KEYS = {"default_ttl", "refresh_on_read", "sweep_interval_minutes"}


def parse_store_config(store: Any) -> StoreConfig:
    """Validate the `store` section; a key we do not implement is an error, never silently ignored."""
    if store is None:
        return StoreConfig()
    if not isinstance(store, dict):
        raise GraphConfigError("'store' must be an object with 'index' and/or 'ttl'")
    if "path" in store:
        raise GraphConfigError("store.path (a custom store) is not supported: the PostgreSQL store is built in")
    _reject_unknown("store", store, {"index", "ttl"})
    return StoreConfig(index=_parse_store_index(store.get("index")), ttl=_parse_store_ttl(store.get("ttl")))


def _reject_unknown(section: str, value: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(value) - known)
    if unknown:
        raise GraphConfigError(f"{section}: unsupported key(s) {', '.join(unknown)}")


def _parse_store_index(index: Any) -> dict[str, Any] | None:
    if index is None:
        return None
    if not isinstance(index, dict):
        raise GraphConfigError("store.index must be an object with 'dims' and 'embed'")
    _reject_unknown("store.index", index, STORE_INDEX_KEYS)
    dims = index.get("dims")
    if isinstance(dims, bool) or not isinstance(dims, int) or dims <= 0:
        raise GraphConfigError("store.index.dims must be a positive integer (the embedding size)")
    if not isinstance(index.get("embed"), str) or not index["embed"]:
        raise GraphConfigError(
            "store.index.embed must be a string: './embeddings.py:embed', 'package.module:embed' or 'provider:model'"
        )
    fields = index.get("fields")
    if fields is not None and (not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields)):
        raise GraphConfigError('store.index.fields must be a list of JSON paths, e.g. ["$"] or ["text"]')
    return dict(index)


def _parse_store_ttl(ttl: Any) -> dict[str, Any] | None:
    if ttl is None:
        return None
    if not isinstance(ttl, dict):
        raise GraphConfigError("store.ttl must be an object")
    _reject_unknown("store.ttl", ttl, STORE_TTL_KEYS)
    if "refresh_on_read" in ttl and not isinstance(ttl["refresh_on_read"], bool):
        raise GraphConfigError("store.ttl.refresh_on_read must be true or false")
    for name in ("default_ttl", "sweep_interval_minutes"):
        value = ttl.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or value <= 0):
            raise GraphConfigError(f"store.ttl.{name} must be a positive number of minutes")
    return dict(ttl)


def _parse_graph_entry(graph_id: str, value: Any) -> GraphSpec:
    if isinstance(value, str):
        return GraphSpec(graph_id, value)
    if isinstance(value, dict) and isinstance(value.get("path"), str):
        return GraphSpec(graph_id, value["path"], value.get("description"))
    raise GraphConfigError(f"graph {graph_id!r}: expected 'path:variable' or {{'path': ...}}")


def _parse_env(base_dir: Path, env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if isinstance(env, dict):
        return {str(k): str(v) for k, v in env.items()}
    if isinstance(env, str):
        env_path = (base_dir / env).resolve()
        return parse_dotenv(env_path.read_text()) if env_path.exists() else {}
    raise GraphConfigError("'env' must be a path to a .env file or an object")


def parse_dotenv(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def apply_environment(config: LangGraphConfig) -> None:
    """Make dependencies importable and env variables visible (existing ones win)."""
    for dep in config.dependencies:
        dep_path = (config.base_dir / dep).resolve()
        if dep.startswith((".", "/")) and dep_path.is_dir() and str(dep_path) not in sys.path:
            sys.path.insert(0, str(dep_path))
    for key, value in config.env.items():
        os.environ.setdefault(key, value)
