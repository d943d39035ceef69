"""`http.app` in langgraph.json: the user's Starlette or FastAPI app, served with the API as upstream serves it.

- Its routes come first: a request one of them matches (path and method) is the app's,
  even where it shadows an API route, as on upstream; `/docs` and `/openapi.json` stay
  the API's. Every other request goes to Django.
- Its middleware wraps every request, the API's included; its lifespan runs with the
  API process (uvicorn's lifespan events reach the app's router).
- Custom auth (`auth.path`) guards the API as always, and the app's routes only with
  `http.enable_custom_route_auth`; the app then reads the user as `request.user`
  (`request.auth.scopes` are the permissions). `http.middleware_order` says whether the
  app's middleware runs before authentication (`middleware_first`, the default) or after
  it (`auth_first`: it sees `request.scope["user"]` on the way in, and a refused request
  never reaches it).
- API_KEYS and CORS apply to the app's routes as to the API: Django answers for its own
  routes (apps/core/middleware.py, apps/core/cors.py); the app's get Starlette's
  CORSMiddleware with the same policy, the middleware upstream puts in front of both.
  The API's exempt paths (/ok, /admin/, /docs, ...) are the API's: a route of the app
  is guarded whatever its path. WebSocket routes are guarded as HTTP ones; a refused
  socket is closed before it opens.

Imported only when langgraph.json names an app (agentplatform/asgi.py).
"""

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from starlette.authentication import AuthCredentials
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Match

from agentplatform.compat import authenticate_handler
from agentplatform.mount import route_path
from apps.auth.custom_auth import (
    AUTHENTICATED_SCOPE_KEY,
    EXEMPT_PREFIXES,
    active_auth,
    as_user,
    auth_refusal,
    call_async,
    user_cache,
)
from apps.core.middleware import api_key_refusal
from apps.graphs.config import CustomAppConfig

API_OWNED_PATHS = ("/docs", "/openapi.json")  # upstream keeps its own docs in front of the app's
ROUTE_MATCH_KEY = "agentplatform.custom_route"  # set on the scope: whether the app routes this request

ASGIApp = Any


def app_routes_request(routes: list[Any], scope: dict) -> Match:
    """FULL when one of the app's routes takes this request, PARTIAL when only its path matches."""
    best = Match.NONE
    for route in routes:
        if getattr(route, "path", None) in API_OWNED_PATHS:
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return match
        if match == Match.PARTIAL:
            best = match
    return best


async def refuse(status: int, detail: str, scope: dict, receive: Any, send: Any, headers: Any = None) -> None:
    if scope["type"] == "websocket":  # closing before accepting answers the handshake with 403
        await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
        return
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(scope, receive, send)


def header_values(scope: dict) -> dict[bytes, bytes]:
    """The request's headers, a repeated one joined with commas as Django joins it: the auth
    handler and the auth cache's key read the same values."""
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        headers[name] = headers[name] + b"," + value if name in headers else value
    return headers


def is_preflight(scope: dict) -> bool:
    return scope["method"] == "OPTIONS" and any(k == b"access-control-request-method" for k, _ in scope["headers"])


class AuthGate:
    """Calls the `@auth.authenticate` handler for what it guards (the app's routes, the API's, or
    both) and puts the user on the scope; Django's CustomAuthMiddleware takes it from there
    instead of calling the handler a second time."""

    def __init__(self, app: ASGIApp, *, app_routes: bool, api_routes: bool) -> None:
        self.app, self.app_routes, self.api_routes = app, app_routes, api_routes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (handler := self._handler_for(scope)) is not None:
            connection = Request(scope, receive) if scope["type"] == "http" else HTTPConnection(scope)
            headers = header_values(scope)
            authorization = headers.get(b"authorization")
            cache = user_cache()
            key = cache.key(headers) if cache else None
            try:
                user = (cache.get(key) if cache else None) or as_user(
                    await call_async(
                        handler,
                        request=connection,
                        path=route_path(scope),
                        method=scope.get("method", "GET"),
                        query_params=dict(connection.query_params),
                        path_params=scope.get("path_params", {}),
                        headers=headers,
                        authorization=authorization.decode("latin-1") if authorization is not None else None,
                    )
                )
            except Exception as exc:
                status, detail, headers = auth_refusal(exc)
                return await refuse(status, detail, scope, receive, send, headers)
            if cache:
                cache.put(key, user)
            scope["user"], scope["auth"] = user, AuthCredentials(list(user.permissions))
            scope[AUTHENTICATED_SCOPE_KEY] = user
        await self.app(scope, receive, send)

    def _handler_for(self, scope: dict) -> Callable | None:
        """The authenticate handler when this gate guards the request, else None."""
        if scope["type"] not in ("http", "websocket") or AUTHENTICATED_SCOPE_KEY in scope:
            return None
        app_route = scope[ROUTE_MATCH_KEY] == Match.FULL
        if not (self.app_routes if app_route else self.api_routes):
            return None
        if not app_route and route_path(scope).startswith(EXEMPT_PREFIXES):
            return None  # the API's own open paths; a route of the app is guarded whatever its path
        if scope["type"] == "http" and is_preflight(scope):
            return None  # a CORS preflight carries no credentials: the CORS middleware answers it
        auth = active_auth()
        return None if auth is None else authenticate_handler(auth)


class ToDjango:
    """The innermost of the app's middleware: what none of the app's routes takes goes to Django."""

    def __init__(self, app: ASGIApp, *, django: ASGIApp) -> None:
        self.app, self.django = app, django

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope[ROUTE_MATCH_KEY] != Match.FULL:
            return await self.django(scope, receive, send)
        await self.app(scope, receive, send)


class CustomAppServer:
    """The ASGI application uvicorn serves when langgraph.json names `http.app`."""

    def __init__(self, user_app: Any, django: ASGIApp, config: CustomAppConfig) -> None:
        self.routes = user_app.router.routes
        # Appended last: innermost, between the app's own middleware and its router.
        inner = [Middleware(ToDjango, django=django)]
        if config.auth_custom_routes and config.middleware_order == "middleware_first":
            inner.insert(0, Middleware(AuthGate, app_routes=True, api_routes=False))
        user_app.user_middleware.extend(inner)
        self.app = user_app
        if config.middleware_order == "auth_first":
            self.app = AuthGate(user_app, app_routes=config.auth_custom_routes, api_routes=True)
        self.app_with_cors = CORSMiddleware(  # the API's policy (settings.py, from apps/core/cors.py)
            self.app,
            allow_origins=["*"] if settings.CORS_ALLOW_ALL_ORIGINS else settings.CORS_ALLOWED_ORIGINS,
            allow_origin_regex="|".join(f"(?:{regex})" for regex in settings.CORS_ALLOWED_ORIGIN_REGEXES) or None,
            allow_methods=settings.CORS_ALLOW_METHODS,
            allow_headers=settings.CORS_ALLOW_HEADERS,
            allow_credentials=settings.CORS_ALLOW_CREDENTIALS,
            expose_headers=settings.CORS_EXPOSE_HEADERS,
            max_age=settings.CORS_PREFLIGHT_MAX_AGE,
        )

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):  # lifespan: the app's router runs its start-up and shutdown
            return await self.app(scope, receive, send)
        scope[ROUTE_MATCH_KEY] = match = app_routes_request(self.routes, scope)
        if match == Match.NONE:
            return await self.app(scope, receive, send)
        preflight = scope["type"] == "http" and is_preflight(scope)
        if not preflight:  # the API's exempt paths are the API's: none applies to a route of the app
            given = header_values(scope).get(b"x-api-key")
            refusal = api_key_refusal(route_path(scope), given.decode("latin-1") if given else None, exempt=())
            if refusal is not None:
                return await refuse(refusal.status_code, json.loads(refusal.content)["detail"], scope, receive, send)
        await (self.app_with_cors if scope["type"] == "http" else self.app)(scope, receive, send)


def with_custom_app(django: ASGIApp) -> ASGIApp:
    """The server above around Django's ASGI application (langgraph.json names an app)."""
    from apps.graphs.registry import get_registry, load_custom_app

    config = get_registry().config
    return CustomAppServer(load_custom_app(config), django, config.custom_app)
