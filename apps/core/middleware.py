"""Request guards that run before any view: API keys and the body size limit."""

import hmac
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
