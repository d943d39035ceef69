"""Request guards that run before any view: disabled routes, API keys and the body size limit."""

import hmac
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

# Reachable without a key: the health check (load balancers), the admin (its own
# staff login) and its static assets.
KEY_EXEMPT_PREFIXES = ("/ok", "/admin/", "/static/")


class ApiKeyMiddleware:
    """When API_KEYS is set, every API request needs `x-api-key` (what langgraph_sdk sends from LANGGRAPH_API_KEY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.keys = [key.encode() for key in settings.API_KEYS]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.keys and not request.path.startswith(KEY_EXEMPT_PREFIXES):
            given = request.headers.get("x-api-key", "").encode()
            if not given:
                return JsonResponse({"detail": "Missing API key: send it in the x-api-key header"}, status=401)
            if not any(hmac.compare_digest(given, key) for key in self.keys):
                return JsonResponse({"detail": "Invalid API key"}, status=401)
        return self.get_response(request)


class BodySizeLimitMiddleware:
    """Refuse a declared body over MAX_REQUEST_BODY_BYTES with 413 before reading it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse({"detail": f"Request body too large: the limit is {limit} bytes"}, status=413)
        return self.get_response(request)


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
        if self.disabled is not None and self.disabled.match(request.path):
            return JsonResponse({"detail": "Not Found"}, status=404)
        return self.get_response(request)
