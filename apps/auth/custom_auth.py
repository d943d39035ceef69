"""Custom auth as upstream: `"auth": {"path": "./auth.py:auth"}` in langgraph.json, a langgraph_sdk.Auth.

1. `CustomAuthMiddleware` calls the `@auth.authenticate` handler with the request
   parts it asks for by name (authorization, headers, path, method, query_params,
   path_params, request: a Starlette Request, as upstream's). It returns a user (a
   string id, a dict with `identity` and `permissions`, or an object);
   `Auth.exceptions.HTTPException` becomes that status and detail (`auth_refusal`).
2. A view states its resource and action; `authorize()` calls the most specific
   `@auth.on...` handler with an AuthContext and the request body. The handler
   may add metadata to what is being created (e.g. an owner), deny (False → 403),
   or return a filter on metadata. Store handlers may rewrite the namespace
   (e.g. prefix it with the user's identity); a search filter they return is
   added to the request's own filter.
3. Filters are kept for the request in a context variable; the models' scoped
   managers apply them, so every query a request makes sees only the resources
   the user may see (a run is visible through its thread).
"""

import asyncio
import contextvars
import functools
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import async_to_sync
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from langgraph_sdk import Auth

from agentplatform.compat import authenticate_handler, authorization_handler
from apps.core.errors import DomainError
from apps.graphs.config import AuthCache

# Reachable without authentication: the health check, the admin (staff login), assets, API docs.
EXEMPT_PREFIXES = ("/ok", "/admin/", "/static/", "/docs", "/openapi.json")

# Where apps/core/custom_app.py's gate leaves a user it authenticated (http.middleware_order:
# auth_first), so that the handler is not called twice for one request.
AUTHENTICATED_SCOPE_KEY = "agentplatform.user"

current_user: contextvars.ContextVar["AuthenticatedUser | None"] = contextvars.ContextVar("user", default=None)
current_filters: contextvars.ContextVar[dict[str, dict] | None] = contextvars.ContextVar("auth_filters", default=None)


def auth_filters() -> dict[str, dict]:
    """The filters the auth handlers returned for this request, by resource."""
    return current_filters.get() or {}


class Forbidden(DomainError):
    status_code = 403


@dataclass
class AuthenticatedUser:
    """What handlers see as `ctx.user` (the BaseUser protocol)."""

    identity: str
    permissions: Sequence[str] = ()
    display_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    is_authenticated: bool = True

    def __getitem__(self, key: str) -> Any:
        return {**self.extra, "identity": self.identity, "permissions": list(self.permissions)}[key]

    def __contains__(self, key: str) -> bool:
        return key in self.extra or key in ("identity", "permissions")

    def __iter__(self):  # noqa: ANN204
        return iter({**self.extra, "identity": self.identity})


def user_to_json(user: AuthenticatedUser) -> dict[str, Any]:
    """The user as JSON (kept with a run, so its worker knows who asked for it); as_user() reads it back."""
    return {
        **user.extra,
        "identity": user.identity,
        "permissions": list(user.permissions),
        "display_name": user.display_name,
    }


def as_user(result: Any) -> AuthenticatedUser:
    if isinstance(result, str):
        return AuthenticatedUser(identity=result)
    if isinstance(result, dict):
        extra = {k: v for k, v in result.items() if k not in ("identity", "permissions", "display_name")}
        return AuthenticatedUser(
            identity=str(result["identity"]),
            permissions=list(result.get("permissions", [])),
            display_name=result.get("display_name", str(result["identity"])),
            extra=extra,
        )
    return AuthenticatedUser(
        identity=str(result.identity),
        permissions=list(getattr(result, "permissions", [])),
        display_name=getattr(result, "display_name", str(result.identity)),
    )


class UserCache:
    """langgraph.json's `auth.cache`: the user the handler returned, by the values of the
    cache_keys headers, for ttl_seconds; the least recently used go first past max_size.
    Refusals are never cached: a bad token always reaches the handler."""

    def __init__(self, config: AuthCache) -> None:
        self.config = config
        self._users: OrderedDict[tuple, tuple[float, AuthenticatedUser]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, headers: Mapping[bytes, bytes]) -> tuple | None:
        values = tuple(headers.get(name.encode()) for name in self.config.cache_keys)
        return None if all(value is None for value in values) else values

    def get(self, key: tuple | None) -> AuthenticatedUser | None:
        if key is None:
            return None
        with self._lock:
            expires, user = self._users.get(key, (0.0, None))
            if expires <= time.monotonic():
                self._users.pop(key, None)
                return None
            self._users.move_to_end(key)
            return user

    def put(self, key: tuple | None, user: AuthenticatedUser) -> None:
        if key is None:
            return
        with self._lock:
            self._users[key] = (time.monotonic() + self.config.ttl_seconds, user)
            self._users.move_to_end(key)
            while len(self._users) > self.config.max_size:
                self._users.popitem(last=False)


@functools.cache
def _user_cache(config: AuthCache) -> UserCache:
    return UserCache(config)


def user_cache() -> UserCache | None:
    """This process's cache of authenticated users, when langgraph.json asks for one."""
    from apps.graphs.registry import get_registry

    config = get_registry().config.auth_cache
    return None if config is None else _user_cache(config)


def active_auth() -> Auth | None:
    from apps.graphs.registry import get_registry

    return get_registry().auth


@functools.lru_cache(maxsize=256)
def _wanted(fn: Callable) -> frozenset[str]:
    return frozenset(inspect.signature(fn).parameters)


def _named(fn: Callable, available: dict[str, Any]) -> dict[str, Any]:
    wanted = _wanted(fn)
    return {name: value for name, value in available.items() if name in wanted}


def upstream_request(request: HttpRequest) -> Any:
    """What upstream hands an authenticate handler as `request`: a Starlette Request on the
    request's ASGI scope (`url`, `headers`, `client`, `query_params`; `body()` gives the body
    the server read). Django's own request where there is no scope (the test client, WSGI)."""
    scope = getattr(request, "scope", None)
    if scope is None:
        return request
    from starlette.requests import Request

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": request.body, "more_body": False}

    return Request(scope, receive)


def _call(fn: Callable, **available: Any) -> Any:
    """Call a handler with the arguments it names; async handlers run on the event loop."""
    if inspect.iscoroutinefunction(fn):
        return async_to_sync(fn)(**_named(fn, available))
    return fn(**_named(fn, available))


async def call_async(fn: Callable, **available: Any) -> Any:
    """_call, from a coroutine (the ASGI gate in front of a custom app). A sync handler runs on a
    thread, as in the API: it may use the ORM or block without stalling the event loop."""
    if inspect.iscoroutinefunction(fn):
        return await fn(**_named(fn, available))
    return await asyncio.to_thread(fn, **_named(fn, available))


def auth_refusal(exc: Exception) -> tuple[int, str, Mapping[str, str] | None]:
    """How a failed authentication answers: the handler's HTTPException with its status, detail
    and headers; any other exception with 401 (a crashing authenticator denies, never lets a
    request through)."""
    if isinstance(exc, Auth.exceptions.HTTPException):
        return exc.status_code, exc.detail, exc.headers or None
    return 401, f"Authentication failed: {exc}", None


class CustomAuthMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        auth = active_auth()
        handler = None if auth is None else authenticate_handler(auth)
        if handler is None or request.path_info.startswith(EXEMPT_PREFIXES):
            return self.get_response(request)
        scope = getattr(request, "scope", {})
        user = scope.get(AUTHENTICATED_SCOPE_KEY) or self._authenticate(handler, request)
        if isinstance(user, HttpResponse):
            return user
        scope["user"] = user  # what a custom app's middleware reads after the response, as on upstream
        user_token, filters_token = current_user.set(user), current_filters.set({})
        try:
            return self.get_response(request)
        finally:
            current_user.reset(user_token)
            current_filters.reset(filters_token)

    @staticmethod
    def _authenticate(handler: Callable, request: HttpRequest) -> AuthenticatedUser | HttpResponse:
        headers = {k.lower().encode(): v.encode() for k, v in request.headers.items()}
        cache = user_cache()
        key = cache.key(headers) if cache else None
        if cache and (user := cache.get(key)):
            return user
        try:
            user = as_user(
                _call(
                    handler,
                    request=upstream_request(request) if "request" in _wanted(handler) else None,
                    path=request.path_info,
                    method=request.method,
                    query_params=request.GET.dict(),
                    path_params={},
                    headers=headers,
                    authorization=request.headers.get("authorization"),
                )
            )
        except Exception as exc:
            status, detail, headers = auth_refusal(exc)
            return JsonResponse({"detail": detail}, status=status, headers=headers)
        if cache:
            cache.put(key, user)
        return user


class HandlerDenied(DomainError):
    """An auth handler raised Auth.exceptions.HTTPException: its status and detail."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code


def authorize(resource: str, action: str, value: dict[str, Any]) -> dict[str, Any] | None:
    """Run the auth handler for this resource/action; remember and return the filter it gives. Raises Forbidden.

    The handler may change `value` in place (the store's handlers scope namespaces that way).
    """
    auth, user = active_auth(), current_user.get()
    if auth is None or user is None:
        return None
    handler = authorization_handler(auth, resource, action)
    if handler is None:
        return None
    ctx = Auth.types.AuthContext(user=user, permissions=list(user.permissions), resource=resource, action=action)
    try:
        result = _call(handler, ctx=ctx, value=value)
    except Auth.exceptions.HTTPException as exc:
        raise HandlerDenied(exc.status_code, str(exc.detail)) from exc
    except AssertionError as exc:  # as upstream: a failed assert in a handler denies
        raise Forbidden(str(exc) or f"Not allowed to {action} {resource}") from exc
    if result is False:
        raise Forbidden(f"Not allowed to {action} {resource}")
    if isinstance(result, dict) and result:
        current_filters.set({**auth_filters(), resource: result})
        return result
    return None


def filter_q(filters: dict[str, Any], prefix: str = "metadata") -> Q:
    """An auth filter ({key: value}, {key: {"$eq": v}}, {key: {"$contains": v}}) on a metadata column."""
    condition = Q()
    for key, wanted in filters.items():
        if isinstance(wanted, dict) and "$contains" in wanted:
            items = wanted["$contains"] if isinstance(wanted["$contains"], list) else [wanted["$contains"]]
            condition &= Q(**{f"{prefix}__contains": {key: items}})
        else:
            value = wanted["$eq"] if isinstance(wanted, dict) and "$eq" in wanted else wanted
            condition &= Q(**{f"{prefix}__contains": {key: value}})
    return condition
