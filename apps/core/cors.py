"""CORS as upstream's server answers it, on django-cors-headers.

Upstream (Starlette's CORSMiddleware) has two regimes:
- no `http.cors` in langgraph.json: every method and header, origins from the
  CORS_ALLOW_ORIGINS environment variable (default `*`; credentials allowed
  unless `*`), and `content-location` / `x-pagination-*` exposed, so that browser
  SDKs can read a streamed run's id and the pagination of searches;
- `http.cors` given: exactly what it says, with Starlette's defaults for what it
  leaves out (GET only, no extra headers, nothing exposed, no credentials).
Preflights are cached for 600 s unless `max_age` says otherwise.
"""

from dataclasses import dataclass, field
from typing import Any

from corsheaders.middleware import ACCESS_CONTROL_ALLOW_HEADERS, CorsMiddleware
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
# Always allowed by browsers without asking; Starlette lists them in every preflight answer.
SAFELISTED_HEADERS = ["accept", "accept-language", "content-language", "content-type"]
DEFAULT_EXPOSE_HEADERS = ["x-pagination-total", "x-pagination-next", "content-location"]
DEFAULT_MAX_AGE_S = 600
CORS_KEYS = {
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "allow_credentials",
    "allow_origin_regex",
    "expose_headers",
    "max_age",
}


@dataclass(frozen=True)
class CorsPolicy:
    """The django-cors-headers settings one CORS configuration amounts to."""

    allow_all_origins: bool
    allowed_origins: list[str] = field(default_factory=list)
    allowed_origin_regexes: list[str] = field(default_factory=list)
    allow_methods: list[str] = field(default_factory=lambda: list(ALL_METHODS))
    allow_headers: list[str] = field(default_factory=lambda: ["*"])  # "*": echo what the preflight asks for
    allow_credentials: bool = False
    expose_headers: list[str] = field(default_factory=lambda: list(DEFAULT_EXPOSE_HEADERS))
    max_age: int = DEFAULT_MAX_AGE_S


def _split_origins(origins: list[str]) -> tuple[bool, list[str]]:
    return "*" in origins, [origin for origin in origins if origin != "*"]


def cors_policy(cors: dict[str, Any] | None, env_origins: list[str] | None) -> CorsPolicy:
    """The policy for langgraph.json's `http.cors` (None when absent) and CORS_ALLOW_ORIGINS (None when unset)."""
    if cors is None:
        allow_all, origins = _split_origins(env_origins if env_origins is not None else ["*"])
        return CorsPolicy(allow_all_origins=allow_all, allowed_origins=origins, allow_credentials=not allow_all)
    allow_all, origins = _split_origins(list(cors.get("allow_origins") or env_origins or []))
    methods = [m.upper() for m in cors.get("allow_methods") or ["GET"]]
    headers = [h.lower() for h in cors.get("allow_headers") or []]
    return CorsPolicy(
        allow_all_origins=allow_all,
        allowed_origins=origins,
        allowed_origin_regexes=[cors["allow_origin_regex"]] if cors.get("allow_origin_regex") else [],
        allow_methods=ALL_METHODS if "*" in methods else methods,
        allow_headers=["*"] if "*" in headers else sorted(set(SAFELISTED_HEADERS) | set(headers)),
        allow_credentials=bool(cors.get("allow_credentials", False)),
        expose_headers=list(cors.get("expose_headers") or []),
        max_age=int(cors.get("max_age", DEFAULT_MAX_AGE_S)),
    )


class UpstreamCorsMiddleware(CorsMiddleware):
    """django-cors-headers, plus what Starlette does and it does not: `allow_headers: ["*"]`
    echoes the headers a preflight asks for (a literal `*` would not cover `Authorization`)."""

    def add_response_headers(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        response = super().add_response_headers(request, response)
        requested = request.headers.get("access-control-request-headers")
        if ACCESS_CONTROL_ALLOW_HEADERS in response and settings.CORS_ALLOW_HEADERS == ["*"] and requested:
            response[ACCESS_CONTROL_ALLOW_HEADERS] = requested
        return response
