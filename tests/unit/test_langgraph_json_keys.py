"""Every langgraph.json key upstream reads is accepted: implemented, or named at start-up with
why it has no effect; keys upstream does not read are accepted with a warning, as upstream starts."""

import json
import logging
from pathlib import Path

import pytest

from apps.graphs.checkpointer import configured_serde
from apps.graphs.config import GraphConfigError, forget_config, load_config
from apps.graphs.registry import GraphRegistry, load_custom_app
from tests.conftest import FIXTURE_APP


def write_config(tmp_path: Path, **sections: object) -> Path:
    path = tmp_path / "langgraph.json"
    graphs = {"slow": str(FIXTURE_APP / "graphs.py") + ":slow"}
    path.write_text(json.dumps({"dependencies": ["."], "graphs": graphs, **sections}))
    return path


def test_store_scopes_and_a_custom_store_path_start_and_are_named(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, store={"scopes": ["memories"], "path": "./store.py:make"}))
    assert config.store.index is None
    assert any(notice.startswith("store.scopes: not a langgraph.json key upstream reads") for notice in config.ignored)
    assert any(notice.startswith("store.path: a custom store is not supported") for notice in config.ignored)


def test_every_key_upstream_reads_is_accepted(tmp_path: Path) -> None:
    config = load_config(
        write_config(
            tmp_path,
            python_version="3.12",
            dockerfile_lines=["RUN true"],
            **{"$schema": "https://langgra.ph/schema.json"},
            http={"cors": {"allow_origins": ["https://ui.example.org"]}, "mount_prefix": "/api", "disable_mcp": True},
            checkpointer={"ttl": {"strategy": "delete", "default_ttl": 60, "sweep_limit": 100}, "serde": {}},
            auth={"path": str(FIXTURE_APP / "auth.py") + ":auth", "disable_studio_auth": True},
            webhooks={"env_prefix": "LG_", "url": {"require_https": True}},
            ui={"chat": "./ui.tsx"},
            encryption={"path": "./enc.py:e"},
            priority={"path": "./prio.py:p"},
            disable_persistence=False,
        )
    )
    assert config.cors == {"allow_origins": ["https://ui.example.org"]}
    assert config.disabled_routes == ("mcp",)
    assert config.mount_prefix == "/api"
    assert config.checkpoint_ttl.default_ttl == 60
    named = {notice.split(":", 1)[0] for notice in config.ignored}
    assert named == {
        "python_version",
        "dockerfile_lines",
        "auth.disable_studio_auth",
        "ui",
        "encryption",
        "priority",
        "disable_persistence",
    }


def test_ignored_keys_are_logged_once_when_the_registry_loads(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = load_config(write_config(tmp_path, store={"scopes": ["x"]}, http={"logging_headers": {}}))
    with caplog.at_level(logging.WARNING, logger="apps.graphs.registry"):
        GraphRegistry(config)
    messages = [r.getMessage() for r in caplog.records]
    assert sum("store.scopes" in m for m in messages) == 1
    assert any("http.logging_headers: request headers are not logged (accepted, ignored)" in m for m in messages)


@pytest.mark.parametrize(
    ("cors", "message"),
    [
        ({"allow_origin": ["*"]}, "http.cors: unsupported key"),  # upstream's middleware refuses it too
        ({"allow_origins": "*"}, "allow_origins must be a list"),
        ({"max_age": "600"}, "max_age must be a number"),
        ({"allow_credentials": "yes"}, "allow_credentials must be true or false"),
    ],
)
def test_a_bad_http_cors_is_an_error_naming_the_key(tmp_path: Path, cors: dict, message: str) -> None:
    with pytest.raises(GraphConfigError, match=message):
        load_config(write_config(tmp_path, http={"cors": cors}))


def test_http_app_and_how_it_is_mounted_are_read(tmp_path: Path) -> None:
    app = str(FIXTURE_APP / "webapp.py") + ":app"
    http = {"app": app, "middleware_order": "auth_first", "enable_custom_route_auth": True}
    config = load_config(write_config(tmp_path, http=http))
    assert (config.custom_app.target, config.custom_app.middleware_order) == (app, "auth_first")
    assert config.custom_app.auth_custom_routes and not config.ignored
    assert load_custom_app(config).title == "FastAPI"
    assert load_config(write_config(tmp_path, http={"app": app})).custom_app.middleware_order == "middleware_first"


@pytest.mark.parametrize(
    ("http", "message"),
    [
        ({"app": "./webapp.py:app", "middleware_order": "auth_last"}, "http.middleware_order' must be one of"),
        ({"app": "./webapp.py:app", "enable_custom_route_auth": "yes"}, "enable_custom_route_auth' must be true"),
        ({"app": 3}, "'http.app' must name a Starlette app"),
    ],
)
def test_a_bad_http_app_setting_is_an_error_naming_the_key(tmp_path: Path, http: dict, message: str) -> None:
    with pytest.raises(GraphConfigError, match=message):
        load_config(write_config(tmp_path, http=http))


def test_an_http_app_that_is_not_a_starlette_app_is_refused_at_load(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, http={"app": str(FIXTURE_APP / "graphs.py") + ":slow"}))
    with pytest.raises(GraphConfigError, match="expected a Starlette or FastAPI app"):
        load_custom_app(config)


@pytest.mark.parametrize("prefix", ["api", "/my api", 5])
def test_a_mount_prefix_that_is_not_a_path_is_an_error(tmp_path: Path, prefix: object) -> None:
    with pytest.raises(GraphConfigError, match="'http.mount_prefix' must be a path"):
        load_config(write_config(tmp_path, http={"mount_prefix": prefix}))


def test_webhook_headers_may_only_name_variables_under_the_env_prefix(tmp_path: Path) -> None:
    leak = {"headers": {"X-Key": "${{ env.OPENAI_API_KEY }}"}}
    with pytest.raises(GraphConfigError, match="only variables starting with 'LG_WEBHOOK_'"):
        load_config(write_config(tmp_path, webhooks=leak))
    allowed = {"env_prefix": "HOOK_", "headers": {"X-Key": "k=${{ env.HOOK_KEY }}"}, "url": {"disable_loopback": True}}
    config = load_config(write_config(tmp_path, webhooks=allowed))
    assert config.webhooks.headers == (("X-Key", "k=${{ env.HOOK_KEY }}"),)
    assert [notice.split(":")[0] for notice in config.ignored] == ["webhooks.url.disable_loopback"]


class Plain:
    """Neither a dataclass nor a model: only pickle can store it."""

    def __init__(self, n: int) -> None:
        self.n = n


def test_checkpointer_serde_configures_the_checkpoints_serializer(tmp_path: Path, settings) -> None:
    def serde_for(**sections: object) -> object:
        settings.LANGGRAPH_CONFIG = str(write_config(tmp_path, **sections))
        forget_config()  # the same path, rewritten
        return configured_serde()

    serde = serde_for(checkpointer={"serde": {"allowed_json_modules": True}})
    assert serde.pickle_fallback is True  # upstream's default once the section is given
    kind, data = serde.dumps_typed({"plan": Plain(3)})
    assert serde.loads_typed((kind, data))["plan"].n == 3
    assert serde_for(checkpointer={"serde": {"pickle_fallback": False}}).pickle_fallback is False
    assert serde_for() is None  # LangGraph's own default


@pytest.mark.parametrize(
    ("serde", "message"),
    [
        ({"pickle_fallback": "yes"}, "pickle_fallback' must be true or false"),
        ({"allowed_json_modules": ["x"]}, "list of module paths"),
    ],
)
def test_a_bad_checkpointer_serde_is_an_error(tmp_path: Path, serde: dict, message: str) -> None:
    with pytest.raises(GraphConfigError, match=message):
        load_config(write_config(tmp_path, checkpointer={"serde": serde}))


@pytest.mark.parametrize(
    "headers", [{"Bad Header": "x"}, {"X-Ok": "a\r\nInjected: yes"}, {"X-Ok": 5}, {"host": "evil.test"}]
)
def test_a_webhook_header_that_http_cannot_carry_is_an_error(tmp_path: Path, headers: dict) -> None:
    with pytest.raises(GraphConfigError, match="webhooks.headers"):
        load_config(write_config(tmp_path, webhooks={"headers": headers}))
