"""Reading `langgraph.json`, the file `langgraph dev` reads.

Supported keys: `graphs` (`"id": "./path/file.py:var"` or `"package.module:var"`,
or `{"path": ..., "description": ...}`), `dependencies` (local paths are added to
sys.path; package names are pip's business and ignored here), `env` (a `.env`
path or an inline dict; never overrides variables already set), `checkpointer.ttl`
(`strategy`, `default_ttl` minutes for new threads, `sweep_interval_minutes`),
`store` (`index` for semantic search: `dims`, `embed`, `fields`; `ttl`:
`default_ttl`, `refresh_on_read`, `sweep_interval_minutes`), `auth.path`, and in
`http`: `cors`, `configurable_headers`, the `disable_*` route groups, and `app` (custom
routes and middleware, apps/core/custom_app.py) with `middleware_order` and
`enable_custom_route_auth`.

Every other key upstream reads is accepted, and named once at start-up with the
reason it has no effect here (IGNORED_KEYS); a key upstream does not read either
is accepted with a warning, as upstream starts with it too.
"""

import functools
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apps.core.headers import HeaderFilter


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
STORE_INDEX_KEYS = {"dims", "embed", "fields", "distance_type", "ann_index_config"}
STORE_TTL_KEYS = {"default_ttl", "refresh_on_read", "sweep_interval_minutes"}


@dataclass(frozen=True)
class CheckpointTTL:
    """langgraph.json `checkpointer.ttl`: what happens to threads nobody touched for a while."""

    strategy: str = "delete"
    default_ttl: float | None = None  # minutes, applied to threads created without a ttl
    sweep_interval_minutes: float | None = None
    sweep_limit: int | None = None  # threads one sweep handles at most (apps/threads/retention.py)


@dataclass(frozen=True)
class StoreConfig:
    """langgraph.json's `store` section; `embed` is still the unresolved string ("./emb.py:fn", "pkg.mod:fn")."""

    index: dict[str, Any] | None = None  # dims, embed, fields (+ distance_type, ann_index_config)
    ttl: dict[str, Any] | None = None  # default_ttl, refresh_on_read, sweep_interval_minutes


MIDDLEWARE_ORDERS = ("middleware_first", "auth_first")
WEBHOOK_ENV_PREFIX = "LG_WEBHOOK_"
WEBHOOK_URL_KEYS = {"require_https", "allowed_domains", "allowed_ports", "max_url_length", "disable_loopback"}
# Set by the delivery itself (apps/runs/webhooks.py): a configured copy would be sent beside it.
WEBHOOK_OWN_HEADERS = {
    "host",
    "content-type",
    "content-length",
    "user-agent",
    "x-webhook-id",
    "x-webhook-timestamp",
    "x-webhook-signature",
}
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # RFC 9110's token
HEADER_TEMPLATE = re.compile(r"\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass(frozen=True)
class WebhookPolicy:
    """langgraph.json's `webhooks`: which URLs a run may name, and headers every delivery carries."""

    require_https: bool = False
    allowed_domains: tuple[str, ...] = ()  # "hooks.example.com" or "*.example.com" (subdomains only)
    allowed_ports: tuple[int, ...] = ()
    max_url_length: int | None = None
    headers: tuple[tuple[str, str], ...] = ()  # values may hold ${{ env.VAR }}, VAR starting with env_prefix

    def resolved_headers(self) -> dict[str, str]:
        """The headers with their templates filled from the environment (read at delivery, after
        langgraph.json's `env` is applied). Raises ValueError naming a variable that is not set
        or whose value HTTP cannot carry (not ASCII, or more than one line)."""

        def value_of(match: re.Match) -> str:
            variable = match.group(1)
            if variable not in os.environ:
                raise ValueError(f"environment variable {variable} is not set")
            value = os.environ[variable]
            if not value.isascii() or any(c in value for c in "\r\n\0"):
                raise ValueError(f"environment variable {variable} is not one line of ASCII")
            return value

        return {name: HEADER_TEMPLATE.sub(value_of, value) for name, value in self.headers}


@dataclass(frozen=True)
class CustomAppConfig:
    """`http.app` ("./webapp.py:app", a Starlette or FastAPI app) and the keys that say how it is mounted."""

    target: str
    middleware_order: str = "middleware_first"  # the app's middleware runs before custom auth, or after
    auth_custom_routes: bool = False  # http.enable_custom_route_auth: custom auth guards the app's routes too


@dataclass(frozen=True)
class AuthCache:
    """langgraph.json's `auth.cache`: reuse a user the authenticate handler returned for the same
    values of `cache_keys` (request headers) for `ttl_seconds`, at most `max_size` of them."""

    cache_keys: tuple[str, ...] = ("authorization",)
    ttl_seconds: float = 60.0
    max_size: int = 1000


@dataclass(frozen=True)
class LangGraphConfig:
    path: Path
    graphs: dict[str, GraphSpec]
    dependencies: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    auth_path: str | None = None  # "./auth.py:auth": a langgraph_sdk.Auth
    auth_cache: AuthCache | None = None  # auth.cache; None: the handler runs for every request
    checkpoint_ttl: CheckpointTTL = field(default_factory=CheckpointTTL)
    # checkpointer.serde: JsonPlusSerializer's pickle_fallback and allowed_json_modules; None: its defaults
    checkpoint_serde: dict[str, Any] | None = None
    store: StoreConfig = field(default_factory=StoreConfig)
    cors: dict[str, Any] | None = None  # http.cors, as upstream's CorsConfig
    disabled_routes: tuple[str, ...] = ()  # the http.disable_* groups set (assistants, runs, ...)
    configurable_headers: HeaderFilter = field(default_factory=HeaderFilter)  # http.configurable_headers
    custom_app: CustomAppConfig | None = None  # http.app and how it is mounted
    webhooks_disabled: bool = False  # http.disable_webhooks: runs created with a webhook send none
    mount_prefix: str = ""  # http.mount_prefix: "/my-api" serves the API under that path
    webhooks: WebhookPolicy = field(default_factory=WebhookPolicy)
    # "key: why it has no effect" for each key given that upstream reads and we do not
    # implement, and for each key upstream does not know (it starts with those too).
    ignored: tuple[str, ...] = ()

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
        auth_cache=parse_auth_cache(raw.get("auth")),
        checkpoint_ttl=_parse_checkpoint_ttl(raw.get("checkpointer")),
        checkpoint_serde=parse_checkpoint_serde(raw.get("checkpointer")),
        store=parse_store_config(raw.get("store")),
        cors=parse_cors(raw.get("http")),
        disabled_routes=parse_disabled_routes(raw.get("http")),
        configurable_headers=parse_configurable_headers(raw.get("http")),
        custom_app=parse_custom_app(raw.get("http")),
        webhooks_disabled=_parse_flag(raw.get("http"), "disable_webhooks"),
        mount_prefix=parse_mount_prefix(raw.get("http")),
        webhooks=parse_webhooks(raw.get("webhooks")),
        ignored=tuple(ignored_keys(raw)),
    )


# What upstream reads but this server does not implement, and why; checked one level deep.
BUILD_ONLY = "read by `langgraph build` for the container image, not by the server"
IGNORED_KEYS: dict[str, str] = {
    **dict.fromkeys(
        (
            "python_version",
            "node_version",
            "api_version",
            "base_image",
            "image_distro",
            "pip_config_file",
            "pip_installer",
            "source",
            "dockerfile_lines",
            "keep_pkg_tools",
        ),
        BUILD_ONLY,
    ),
    "$schema": "",  # an editor hint
    "encryption": "custom at-rest encryption is not supported",
    "priority": "custom run priorities are not supported: runs of a thread run in order",
    "webhooks.url.disable_loopback": "relative webhook URLs are refused either way",
    "ui": "generative UI bundles are not served",
    "ui_config": "generative UI bundles are not served",
    "disable_persistence": "runs always persist to PostgreSQL",
    "store.path": "a custom store is not supported: the built-in PostgreSQL store is used",
    "checkpointer.path": "a custom checkpointer is not supported: the built-in PostgreSQL checkpointer is used",
    "checkpointer.backend": "the built-in PostgreSQL checkpointer is used",
    "auth.disable_studio_auth": "LangSmith Studio authentication does not apply",
    "auth.allow_langsmith_api_keys": "LangSmith API keys do not apply",
    "auth.openapi": "the OpenAPI document does not describe custom auth",
    "http.disable_ui": "no generative UI routes are served",
    "http.logging_headers": "request headers are not logged",
}
NESTED_KEYS = {
    ("store", "index"): STORE_INDEX_KEYS,
    ("store", "ttl"): STORE_TTL_KEYS,
    ("checkpointer", "ttl"): {"strategy", "default_ttl", "sweep_interval_minutes", "sweep_limit"},
    ("http", "configurable_headers"): {"includes", "excludes"},
    ("webhooks", "url"): WEBHOOK_URL_KEYS - {"disable_loopback"},
    ("auth", "cache"): {"cache_keys", "ttl_seconds", "max_size"},
    ("checkpointer", "serde"): {"allowed_json_modules", "pickle_fallback"},
}
IMPLEMENTED_KEYS = {
    "graphs",
    "dependencies",
    "env",
    "store",
    "store.index",
    "store.ttl",
    "checkpointer",
    "checkpointer.ttl",
    "checkpointer.serde",
    "auth",
    "auth.path",
    "auth.cache",
    "http",
    "http.cors",
    "http.configurable_headers",
    "http.app",
    "http.middleware_order",
    "http.enable_custom_route_auth",
    "http.disable_webhooks",
    "http.mount_prefix",
    "webhooks",
    "webhooks.env_prefix",
    "webhooks.url",
    "webhooks.headers",
    *(f"http.disable_{group}" for group in ("assistants", "threads", "runs", "store", "meta", "mcp")),
}


def ignored_keys(raw: dict[str, Any]) -> list[str]:
    """'key: reason' for every key given that has no effect here (see IGNORED_KEYS)."""
    found = []
    for key, value in raw.items():
        paths = [key] + [f"{key}.{sub}" for sub in value] if isinstance(value, dict) and key != "graphs" else [key]
        for path in paths:
            if path in IMPLEMENTED_KEYS or path.startswith("env."):
                continue
            if path in IGNORED_KEYS:
                if IGNORED_KEYS[path]:
                    found.append(f"{path}: {IGNORED_KEYS[path]}")
            elif path.split(".")[0] not in IGNORED_KEYS:
                found.append(f"{path}: not a langgraph.json key upstream reads")
    for (top, section), known in NESTED_KEYS.items():
        value = raw[top].get(section) if isinstance(raw.get(top), dict) else None
        for key in sorted(set(value) - known) if isinstance(value, dict) else ():
            path = f"{top}.{section}.{key}"
            found.append(f"{path}: {IGNORED_KEYS.get(path, 'not a key upstream reads')}")
    return found


def parse_cors(http: Any) -> dict[str, Any] | None:
    """`http.cors` checked against upstream's CorsConfig (whose middleware refuses unknown keys)."""
    if http is None or not isinstance(http, dict):
        if http is not None:
            raise GraphConfigError("'http' must be an object")
        return None
    cors = http.get("cors")
    if cors is None:
        return None
    if not isinstance(cors, dict):
        raise GraphConfigError("http.cors must be an object")
    from apps.core.cors import CORS_KEYS

    _reject_unknown("http.cors", cors, CORS_KEYS)
    for key in ("allow_origins", "allow_methods", "allow_headers", "expose_headers"):
        value = cors.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise GraphConfigError(f"http.cors.{key} must be a list of strings")
    if "allow_credentials" in cors and not isinstance(cors["allow_credentials"], bool):
        raise GraphConfigError("http.cors.allow_credentials must be true or false")
    max_age = cors.get("max_age")
    if max_age is not None and (isinstance(max_age, bool) or not isinstance(max_age, int) or max_age < 0):
        raise GraphConfigError("http.cors.max_age must be a number of seconds")
    if cors.get("allow_origin_regex") is not None and not isinstance(cors["allow_origin_regex"], str):
        raise GraphConfigError("http.cors.allow_origin_regex must be a string")
    return dict(cors)


DISABLE_GROUPS = ("assistants", "threads", "runs", "store", "meta", "mcp")


def parse_disabled_routes(http: Any) -> tuple[str, ...]:
    """The route groups `http.disable_<group>: true` takes away, as upstream does."""
    return tuple(group for group in DISABLE_GROUPS if _parse_flag(http, f"disable_{group}"))


def parse_webhooks(webhooks: Any) -> WebhookPolicy:
    """`webhooks`: `url` (require_https, allowed_domains, allowed_ports, max_url_length) and
    `headers` whose `${{ env.VAR }}` templates may only name variables starting with `env_prefix`."""
    if webhooks is None:
        return WebhookPolicy()
    if not isinstance(webhooks, dict):
        raise GraphConfigError("'webhooks' must be an object")
    prefix = webhooks.get("env_prefix") or WEBHOOK_ENV_PREFIX
    url, headers = webhooks.get("url") or {}, webhooks.get("headers") or {}
    if not isinstance(prefix, str) or not isinstance(url, dict) or not isinstance(headers, dict):
        raise GraphConfigError("'webhooks': env_prefix must be a string, url and headers objects")
    domains, ports, length = url.get("allowed_domains") or [], url.get("allowed_ports") or [], url.get("max_url_length")
    if not isinstance(url.get("require_https", False), bool):
        raise GraphConfigError("'webhooks.url.require_https' must be true or false")
    if not isinstance(domains, list) or not all(isinstance(d, str) and d.strip("*.") for d in domains):
        raise GraphConfigError("'webhooks.url.allowed_domains' must be a list of host names")
    if not isinstance(ports, list) or not all(isinstance(p, int) and not isinstance(p, bool) for p in ports):
        raise GraphConfigError("'webhooks.url.allowed_ports' must be a list of port numbers")
    if length is not None and not _positive(length, integer=True):
        raise GraphConfigError("'webhooks.url.max_url_length' must be a positive number of characters")
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name):
            raise GraphConfigError(f"'webhooks.headers': {name!r} is not a header name")
        if name.lower() in WEBHOOK_OWN_HEADERS:
            raise GraphConfigError(f"'webhooks.headers': {name!r} is set by the server for every delivery")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise GraphConfigError(f"'webhooks.headers.{name}' must be a string on one line")
        for variable in HEADER_TEMPLATE.findall(value):
            if not variable.startswith(prefix):
                raise GraphConfigError(
                    f"'webhooks.headers.{name}' names ${{{{ env.{variable} }}}}: only variables starting "
                    f"with {prefix!r} (webhooks.env_prefix) may be sent"
                )
    return WebhookPolicy(
        require_https=url.get("require_https", False),
        allowed_domains=tuple(d.lower() for d in domains),
        allowed_ports=tuple(ports),
        max_url_length=length,
        headers=tuple(headers.items()),
    )


def parse_mount_prefix(http: Any) -> str:
    """`http.mount_prefix`: "/my-api" (a trailing slash is dropped; "/" is no prefix)."""
    prefix = http.get("mount_prefix") if isinstance(http, dict) else None
    if prefix is None:
        return ""
    if not isinstance(prefix, str) or not prefix.startswith("/") or any(c in prefix for c in "?#% "):
        raise GraphConfigError("'http.mount_prefix' must be a path like '/my-api'")
    return prefix.rstrip("/")


def _positive(value: Any, *, integer: bool = False) -> bool:
    """A positive int (or, unless `integer`, a positive float); JSON's true and false are not numbers here."""
    return not isinstance(value, bool) and isinstance(value, int if integer else int | float) and value > 0


def _parse_flag(http: Any, key: str) -> bool:
    value = http.get(key, False) if isinstance(http, dict) else False
    if not isinstance(value, bool):
        raise GraphConfigError(f"'http.{key}' must be true or false")
    return value


def parse_configurable_headers(http: Any) -> HeaderFilter:
    """`http.configurable_headers`: {"includes": [...], "excludes": [...]}, header names or `*` patterns."""
    value = http.get("configurable_headers") if isinstance(http, dict) else None
    if value is None:
        return HeaderFilter()
    if not isinstance(value, dict):
        raise GraphConfigError("'http.configurable_headers' must be an object")
    lists = {}
    for key in ("includes", "excludes"):
        patterns = value.get(key) or []
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            raise GraphConfigError(f"'http.configurable_headers.{key}' must be a list of header names or patterns")
        lists[key] = tuple(patterns)
    return HeaderFilter(**lists)


def parse_custom_app(http: Any) -> CustomAppConfig | None:
    if not isinstance(http, dict) or http.get("app") is None:  # the other two keys mean nothing then
        return None
    target, order = http["app"], http.get("middleware_order") or "middleware_first"
    if not isinstance(target, str) or ":" not in target:
        raise GraphConfigError("'http.app' must name a Starlette app like './webapp.py:app'")
    if order not in MIDDLEWARE_ORDERS:
        raise GraphConfigError(f"'http.middleware_order' must be one of {MIDDLEWARE_ORDERS}, got {order!r}")
    return CustomAppConfig(target, order, _parse_flag(http, "enable_custom_route_auth"))


def read_http_config(path: str | Path) -> LangGraphConfig | None:
    """langgraph.json for settings.py's http settings (CORS, disabled routes); None when it is
    broken (start-up then says why)."""
    try:
        return load_config(path)
    except (GraphConfigError, OSError, ValueError):
        return None


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
        if value is not None and not _positive(value):
            raise GraphConfigError(f"'checkpointer.ttl.{key}' must be a positive number of minutes")
        numbers[key] = value
    limit = ttl.get("sweep_limit")
    if limit is not None and not _positive(limit, integer=True):
        raise GraphConfigError("'checkpointer.ttl.sweep_limit' must be a positive number of threads")
    return CheckpointTTL(strategy=strategy, sweep_limit=limit, **numbers)


def parse_checkpoint_serde(checkpointer: Any) -> dict[str, Any] | None:
    """`checkpointer.serde`, as upstream: `pickle_fallback` (true when the section is given and
    leaves it out) and `allowed_json_modules` (true, or a list of module paths like
    ["my_agent", "state", "Plan"]), passed to LangGraph's JsonPlusSerializer."""
    serde = checkpointer.get("serde") if isinstance(checkpointer, dict) else None
    if serde is None:
        return None
    if not isinstance(serde, dict):
        raise GraphConfigError("'checkpointer.serde' must be an object")
    pickle_fallback, modules = serde.get("pickle_fallback", True), serde.get("allowed_json_modules")
    if not isinstance(pickle_fallback, bool):
        raise GraphConfigError("'checkpointer.serde.pickle_fallback' must be true or false")
    if modules is not None and modules is not True:
        if not isinstance(modules, list) or not all(
            isinstance(path, list) and path and all(isinstance(part, str) and part for part in path) for path in modules
        ):
            raise GraphConfigError(
                "'checkpointer.serde.allowed_json_modules' must be true or a list of module paths like "
                '["my_agent", "state", "Plan"]'
            )
        modules = [tuple(path) for path in modules]
    return {"pickle_fallback": pickle_fallback, "allowed_json_modules": modules}


def get_config() -> LangGraphConfig:
    """The langgraph.json that settings.LANGGRAPH_CONFIG names, parsed on first use.

    Read when needed, never when settings load: tests and `manage.py dev` point
    LANGGRAPH_CONFIG elsewhere afterwards. Parsing imports no user code (the
    graph registry does that). Raises GraphConfigError.
    """
    from django.conf import settings  # here: `manage.py dev`'s supervisor loads no settings

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
    from django.conf import settings

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


def parse_auth_cache(auth: Any) -> AuthCache | None:
    cache = auth.get("cache") if isinstance(auth, dict) else None
    if cache is None:
        return None
    if not isinstance(cache, dict):
        raise GraphConfigError("'auth.cache' must be an object")
    keys, ttl, size = cache.get("cache_keys"), cache.get("ttl_seconds", 60), cache.get("max_size", 1000)
    if keys is not None and (not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys)):
        raise GraphConfigError("'auth.cache.cache_keys' must be a list of header names")
    if not _positive(ttl):
        raise GraphConfigError("'auth.cache.ttl_seconds' must be a positive number")
    if not _positive(size, integer=True):
        raise GraphConfigError("'auth.cache.max_size' must be a positive integer")
    names = tuple(k.lower() for k in keys) if keys else AuthCache.cache_keys
    return AuthCache(cache_keys=names, ttl_seconds=float(ttl), max_size=size)


def parse_store_config(store: Any) -> StoreConfig:
    """Validate the `store` section; a key we do not implement is an error, never silently ignored."""
    if store is None:
        return StoreConfig()
    if not isinstance(store, dict):
        raise GraphConfigError("'store' must be an object with 'index' and/or 'ttl'")
    # Other keys (`path`, keys upstream does not read) are named at start-up by ignored_keys().
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
    dims = index.get("dims")
    if not _positive(dims, integer=True):
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
    if "refresh_on_read" in ttl and not isinstance(ttl["refresh_on_read"], bool):
        raise GraphConfigError("store.ttl.refresh_on_read must be true or false")
    for name in ("default_ttl", "sweep_interval_minutes"):
        value = ttl.get(name)
        if value is not None and not _positive(value):
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
