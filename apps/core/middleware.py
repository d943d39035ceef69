"""Request guards that run before any view: disabled routes, API keys and the body size limit.

The ASGI handler (agentplatform/handler.py) applies the API key and size checks to the
request line and headers before it reads any of the body, so an unauthenticated
or oversized upload never reaches memory or disk; the middleware keeps them for
every other entry (the test client, a WSGI server).
"""

import hmac
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Reachable without a key: the health check (load balancers), the admin (its own
# staff login) and its static assets.
KEY_EXEMPT_PREFIXES = ("/ok", "/admin/", "/static/")


def api_key_refusal(path: str, given: str | None, exempt: tuple[str, ...] = KEY_EXEMPT_PREFIXES) -> JsonResponse | None:
    """The 401 for a request to `path` with x-api-key `given`, or None when it may pass."""
    if not settings.API_KEYS or path.startswith(exempt):
        return None
    if not given:
        return JsonResponse({"detail": "Missing API key: send it in the x-api-key header"}, status=401)
    # Every key is compared, in constant time: which one matched must not show in the timing.
    if not any(hmac.compare_digest(given.encode(), key.encode()) for key in settings.API_KEYS):
        return JsonResponse({"detail": "Invalid API key"}, status=401)
    return None


def body_too_large() -> JsonResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return JsonResponse({"detail": f"Request body too large: the limit is {limit} bytes"}, status=413)


def declared_size_refusal(content_length: str | None) -> JsonResponse | None:
    """The 413 for a declared Content-Length over MAX_REQUEST_BODY_BYTES, or None."""
    declared = content_length or ""
    if declared.isdigit() and int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return body_too_large()
    return None


class ApiKeyMiddleware:
    """When API_KEYS is set, every API request needs `x-api-key` (what langgraph_sdk sends from LANGGRAPH_API_KEY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = api_key_refusal(request.path_info, request.headers.get("x-api-key"))
        return self.get_response(request) if refusal is None else refusal


class BodySizeLimitMiddleware:
    """Refuse a declared body over MAX_REQUEST_BODY_BYTES with 413 before reading it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = declared_size_refusal(request.headers.get("content-length"))
        return self.get_response(request) if refusal is None else refusal


class SecureCookiesMiddleware:
    """SECURE_COOKIES=auto: the session and CSRF cookies get `Secure` when the request came over HTTPS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.auto = settings.SECURE_COOKIES == "auto"
        self.names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.auto and response.cookies and request.is_secure():
            for name in self.names:
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response


# Route groups langgraph.json's http.disable_<group> takes away, as upstream mounts them.
# Runs include a thread's runs, its stream and crons; threads do not include those.
ROUTE_GROUPS = {
    "assistants": r"/assistants(/|$)",
    "runs": r"/runs(/|$)|/threads/[^/]+/(runs|stream)(/|$)",
    "threads": r"/threads(?!/[^/]+/(runs|stream)(/|$))(/|$)",
    "store": r"/store(/|$)",
    "mcp": r"/mcp(/|$)",
    "meta": r"/(info|metrics|docs|openapi\.json)$",
}


class DisabledRoutesMiddleware:
    """Answer 404, as for an unknown path, under the route groups langgraph.json disables."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        groups = [ROUTE_GROUPS[group] for group in settings.DISABLED_ROUTE_GROUPS]
        self.disabled = re.compile("|".join(f"(?:{pattern})" for pattern in groups)) if groups else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.disabled is not None and self.disabled.match(request.path_info):
            return JsonResponse({"detail": "Not Found"}, status=404)
        return self.get_response(request)
