"""langgraph.json's `auth.cache`: the authenticate handler runs once per token while the
cached user lives; refusals are never cached."""

import json
import sys
import time
from pathlib import Path

import pytest
from django.test import Client

from apps.auth.custom_auth import AuthenticatedUser, UserCache
from apps.graphs.config import AuthCache
from apps.graphs.registry import get_registry, reset_registry
from tests.conftest import FIXTURE_APP

AUTH = """
from langgraph_sdk import Auth

auth = Auth()
calls = []


@auth.authenticate
async def authenticate(authorization: str | None) -> str:
    calls.append(authorization)
    if authorization not in ("Bearer a", "Bearer b"):
        raise Auth.exceptions.HTTPException(status_code=401, detail="unknown token")
    return authorization.split()[1]
"""


@pytest.fixture
def cached_auth(settings, tmp_path: Path) -> list:
    (tmp_path / "counting_auth.py").write_text(AUTH)
    config = {
        "graphs": {"slow": str(FIXTURE_APP / "graphs.py") + ":slow"},
        "auth": {"path": "./counting_auth.py:auth", "cache": {"cache_keys": ["Authorization"], "ttl_seconds": 0.5}},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    settings.LANGGRAPH_CONFIG = str(tmp_path / "langgraph.json")
    reset_registry()
    get_registry()
    yield sys.modules["agentplatform_graphs.auth.counting_auth"].calls
    reset_registry()


def info(token: str) -> int:
    return Client().get("/info", headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_token_is_authenticated_once_while_its_user_is_cached(cached_auth: list) -> None:
    assert [info("a"), info("a"), info("b"), info("a")] == [200, 200, 200, 200]
    assert cached_auth == ["Bearer a", "Bearer b"]
    assert [info("x"), info("x")] == [401, 401]  # refusals reach the handler every time
    assert cached_auth[2:] == ["Bearer x", "Bearer x"]
    time.sleep(0.6)  # past ttl_seconds
    assert info("a") == 200 and cached_auth[-1] == "Bearer a"


def test_the_least_recently_used_user_goes_first() -> None:
    cache = UserCache(AuthCache(cache_keys=("authorization",), ttl_seconds=60, max_size=2))
    keys = [cache.key({b"authorization": token}) for token in (b"1", b"2", b"3")]
    for key, name in zip(keys, "abc", strict=True):
        cache.put(key, AuthenticatedUser(identity=name))
        cache.get(keys[0])  # the first stays in use
    assert [getattr(cache.get(key), "identity", None) for key in keys] == ["a", None, "c"]
    assert cache.key({b"cookie": b"x"}) is None  # no cache key header: never cached
