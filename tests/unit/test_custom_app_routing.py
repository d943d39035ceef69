"""apps/core/custom_app.py without a server: which requests the user's app takes, and that
API_KEYS guard its routes as they guard the API's."""

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from apps.core.custom_app import CustomAppServer
from apps.graphs.config import CustomAppConfig

KEY = {"x-api-key": "k"}


async def django(scope: dict, receive, send) -> None:  # noqa: ANN001  (an ASGI app standing in for the API)
    await PlainTextResponse("api")(scope, receive, send)


def users_app() -> Starlette:
    def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"app {request.url.path}")

    return Starlette(routes=[Route("/hello", answer), Route("/docs", answer), Route("/items/{n:int}", answer)])


def get(server: CustomAppServer, method: str, path: str, headers: dict | None = None) -> httpx.Response:
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
