"""apps/core/custom_app.py without a server: which requests the user's app takes, and that
API_KEYS guard its routes as they guard the API's."""

import asyncio

import httpx
import pytest
from langgraph_sdk import Auth
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from agentplatform.mount import PrefixMount
from apps.core import custom_app
from apps.core.custom_app import CustomAppServer
from apps.graphs.config import CustomAppConfig

KEY = {"x-api-key": "k"}


async def django(scope: dict, receive, send) -> None:  # noqa: ANN001  (an ASGI app standing in for the API)
    await PlainTextResponse("api")(scope, receive, send)


def users_app() -> Starlette:
    def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"app {request.url.path}")

    return Starlette(routes=[Route("/hello", answer), Route("/docs", answer), Route("/items/{n:int}", answer)])


def get(server: CustomAppServer, method: str, path: str, headers: dict | list | None = None) -> httpx.Response:
    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(server), base_url="http://test") as client:
            return await client.request(method, path, headers=headers)

    return asyncio.run(call())


def test_the_app_takes_what_its_routes_match_and_the_api_the_rest(settings) -> None:
    settings.API_KEYS = []
    server = CustomAppServer(users_app(), django, CustomAppConfig("./webapp.py:app"))
    assert get(server, "GET", "/hello").text == "app /hello"
    assert get(server, "GET", "/items/3").text == "app /items/3"
    assert get(server, "GET", "/items/three").text == "api"  # no route of the app matches
    assert get(server, "POST", "/hello").text == "api"  # the path matches, the method does not
    assert get(server, "GET", "/docs").text == "api"  # the API keeps its docs
    assert get(server, "POST", "/threads").text == "api"


def test_api_keys_guard_the_apps_routes(settings) -> None:
    settings.API_KEYS = ["k"]
    server = CustomAppServer(users_app(), django, CustomAppConfig("./webapp.py:app"))
    refused = get(server, "GET", "/hello")
    assert refused.status_code == 401 and refused.json()["detail"].startswith("Missing API key")
    assert get(server, "GET", "/hello", {"x-api-key": "wrong"}).status_code == 401
    assert get(server, "GET", "/hello", KEY).text == "app /hello"


def test_a_route_of_the_app_is_guarded_whatever_its_path(settings) -> None:
    """The API's exempt paths (/ok, /admin/, /static/, /docs) are the API's, not the app's."""
    settings.API_KEYS = ["k"]
    paths = ("/admin/stats", "/okrs")
    app = Starlette(routes=[Route(path, lambda request: PlainTextResponse("open?")) for path in paths])
    server = CustomAppServer(app, django, CustomAppConfig("./webapp.py:app"))
    assert [get(server, "GET", path).status_code for path in paths] == [401, 401]
    assert get(server, "GET", "/okrs", KEY).text == "open?"


def test_only_a_cors_preflight_passes_without_a_key(settings) -> None:
    settings.API_KEYS = ["k"]
    app = Starlette(routes=[Route("/hello", lambda request: PlainTextResponse("hi"), methods=["GET", "OPTIONS"])])
    server = CustomAppServer(app, django, CustomAppConfig("./webapp.py:app"))
    assert get(server, "OPTIONS", "/hello").status_code == 401
    asked = get(server, "OPTIONS", "/hello", {"Origin": "http://ui.test", "Access-Control-Request-Method": "GET"})
    assert asked.status_code == 200 and asked.headers["access-control-allow-origin"] == "*"


def test_websocket_routes_are_guarded_too(settings) -> None:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("secret")
        await websocket.close()

    settings.API_KEYS = ["k"]
    server = CustomAppServer(Starlette(routes=[WebSocketRoute("/ws", echo)]), django, CustomAppConfig("./w.py:app"))
    client = TestClient(server)
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws") as socket:
        socket.receive_text()
    with client.websocket_connect("/ws", headers=KEY) as socket:
        assert socket.receive_text() == "secret"


def test_a_sync_authenticate_handler_runs_off_the_event_loop(settings, monkeypatch) -> None:
    seen: list[tuple[str | None, bool]] = []

    def authenticate(authorization: str | None) -> str:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        seen.append((authorization, on_loop))
        return "alice"

    auth = Auth()
    auth.authenticate(authenticate)
    monkeypatch.setattr(custom_app, "active_auth", lambda: auth)
    monkeypatch.setattr(custom_app, "user_cache", lambda: None)
    settings.API_KEYS = []
    config = CustomAppConfig("./webapp.py:app", auth_custom_routes=True)
    server = CustomAppServer(users_app(), django, config)
    repeated = [("Authorization", "Bearer a"), ("Authorization", "Bearer b")]
    assert get(server, "GET", "/hello", repeated).text == "app /hello"
    assert seen == [("Bearer a,Bearer b", False)]  # the repeated header joined, as Django joins it


def test_no_socket_opens_outside_the_mount_prefix() -> None:
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close()

    app = Starlette(routes=[WebSocketRoute("/ws", echo)])
    client = TestClient(PrefixMount(app, "/p"))
    with client.websocket_connect("/p/ws"):
        pass
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass
