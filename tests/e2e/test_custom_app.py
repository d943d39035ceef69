"""langgraph.json's `http.app`: a FastAPI app's routes, middleware and lifespan served with the
API, with custom auth in front of both as `middleware_order` and `enable_custom_route_auth` say
(the behaviour of upstream's `langgraph dev` on the same app and settings)."""

from collections.abc import Iterator

import httpx
import pytest
from langgraph_sdk import get_client

from tests.conftest import FIXTURE_APP
from tests.e2e.conftest import LiveServer, live_server, preflight, run

ALICE = {"Authorization": "Bearer token-alice"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app's middleware first, then custom auth, on the app's routes as on the API's."""
    with live_server(tmp_path_factory.mktemp("app"), config=FIXTURE_APP / "langgraph-app.json") as server:
        yield server


@pytest.fixture(scope="module")
def auth_first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Custom auth before the app's middleware; the app's routes open to all."""
    config = FIXTURE_APP / "langgraph-app-auth-first.json"
    with live_server(tmp_path_factory.mktemp("app-auth-first"), config=config) as server:
        yield server


def test_the_apps_routes_run_behind_custom_auth_and_inside_its_middleware(guarded: LiveServer) -> None:
    with httpx.Client(base_url=guarded.url) as http:
        refused = http.get("/hello")
        assert refused.status_code == 401 and refused.json() == {"detail": "Unknown or missing bearer token"}
        assert refused.headers["x-custom-middleware"] == "yes"  # the app's middleware wraps the refusal

        hello = http.get("/hello", headers=ALICE)
        assert hello.status_code == 200, hello.text
        assert hello.json() == {
            "hello": "world",
            "lifespan": ["startup"],
            "user": "alice",
            "permissions": ["agents:use"],
        }
        assert hello.headers["x-user-before"] == "None"  # middleware first: no user yet on the way in

        assert http.get("/items/7", headers=ALICE).json() == {"item_id": 7}
        assert http.get("/items/seven", headers=ALICE).status_code == 422  # FastAPI's own validation
        assert http.get("/info", headers=ALICE).json() == {"custom": True}  # the app shadows an API route
        assert http.get("/ok").json()["ok"] is True  # the health check needs no token, as before


def test_the_api_keeps_its_routes_docs_and_auth_under_the_apps_middleware(guarded: LiveServer) -> None:
    with httpx.Client(base_url=guarded.url) as http:
        assert http.post("/threads", json={}).status_code == 401
        created = http.post("/threads", json={}, headers=ALICE)
        assert created.status_code == 200 and created.json()["metadata"]["owner"] == "alice"
        assert created.headers["x-custom-middleware"] == "yes"
        schema = http.get("/openapi.json").json()  # the API's document, not FastAPI's
        assert "/threads/{thread_id}/runs/stream" in schema["paths"]
        assert http.get("/docs").status_code == 200
        missing = http.get("/no/such/route", headers=ALICE)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/json"


def test_a_browser_on_another_origin_may_call_the_apps_routes(guarded: LiveServer) -> None:
    asked = preflight(f"{guarded.url}/hello", "GET", "authorization")
    assert asked.status_code == 200
    assert asked.headers["access-control-allow-origin"] == "*"
    assert "authorization" in asked.headers["access-control-allow-headers"].lower()
    answer = httpx.get(f"{guarded.url}/hello", headers={**ALICE, "Origin": "http://localhost:3000"})
    assert answer.headers["access-control-allow-origin"] == "*"


def test_auth_first_authenticates_before_the_apps_middleware(auth_first: LiveServer) -> None:
    with httpx.Client(base_url=auth_first.url) as http:
        open_route = http.get("/hello")  # enable_custom_route_auth is off: the app's routes are open
        assert open_route.status_code == 200 and open_route.json()["user"] is None

        refused = http.post("/threads", json={})
        assert refused.status_code == 401 and "x-custom-middleware" not in refused.headers

        created = http.post("/threads", json={}, headers=ALICE)
        assert created.status_code == 200 and created.json()["metadata"]["owner"] == "alice"
        assert created.headers["x-user-before"] == "alice"  # the middleware saw the user on the way in


def test_runs_stream_through_the_apps_middleware(auth_first: LiveServer) -> None:
    async def main() -> list[str]:
        client = get_client(url=auth_first.url, headers=ALICE)
        thread = await client.threads.create()
        body = {"config": {"configurable": {"delay": 0}}}
        events = [part.event async for part in client.runs.stream(thread["thread_id"], "slow", input={}, **body)]
        return events

    events = run(main())
    assert events[0] == "metadata" and "values" in events and events[-1] != "error"
