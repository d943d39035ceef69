"""Browsers on other origins get upstream's CORS answers: preflights answered before any view
(not by DRF's OPTIONS metadata), and the headers browser SDKs read exposed on responses."""

import pytest
from django.test import Client, override_settings

from apps.core.cors import cors_policy

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = "http://app.example.com"
PREFLIGHT = {
    "HTTP_ORIGIN": ORIGIN,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "content-type,x-api-key,authorization",
}


def policy_settings(cors: dict | None, env_origins: list[str] | None = None) -> dict:
    """The CORS_* settings settings.py derives from langgraph.json's http.cors and CORS_ALLOW_ORIGINS."""
    policy = cors_policy(cors, env_origins)
    return {
        "CORS_ALLOW_ALL_ORIGINS": policy.allow_all_origins,
        "CORS_ALLOWED_ORIGINS": policy.allowed_origins,
        "CORS_ALLOWED_ORIGIN_REGEXES": policy.allowed_origin_regexes,
        "CORS_ALLOW_METHODS": policy.allow_methods,
        "CORS_ALLOW_HEADERS": policy.allow_headers,
        "CORS_ALLOW_CREDENTIALS": policy.allow_credentials,
        "CORS_EXPOSE_HEADERS": policy.expose_headers,
        "CORS_PREFLIGHT_MAX_AGE": policy.max_age,
    }


def test_a_preflight_gets_upstreams_default_answer(assistants) -> None:
    response = Client().options("/threads/search", HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK="true", **PREFLIGHT)
    assert response.status_code == 200
    assert response.content == b""  # not DRF's OPTIONS metadata
    assert response["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response
    assert response["access-control-allow-headers"] == "content-type,x-api-key,authorization"  # echoed
    assert response["access-control-allow-methods"] == "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    assert response["access-control-max-age"] == "600"
    assert response["access-control-allow-private-network"] == "true"


def test_responses_expose_the_headers_browser_sdks_read(assistants) -> None:
    client = Client()
    thread = client.post("/threads", {}, content_type="application/json", HTTP_ORIGIN=ORIGIN).json()
    response = client.post("/threads/search", {"limit": 1}, content_type="application/json", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200 and response.json()[0]["thread_id"] == thread["thread_id"]
    assert response["access-control-allow-origin"] == "*"
    exposed = {h.strip() for h in response["access-control-expose-headers"].split(",")}
    assert exposed == {"content-location", "x-pagination-total", "x-pagination-next"}
    assert response["x-pagination-total"] == "1"
    # Errors carry CORS headers too, or a browser app could not read their detail.
    missing = client.get("/threads/00000000-0000-0000-0000-000000000000", HTTP_ORIGIN=ORIGIN)
    assert missing.status_code == 404 and missing["access-control-allow-origin"] == "*"


def test_cors_allow_origins_narrows_origins_and_allows_credentials(assistants) -> None:
    with override_settings(**policy_settings(None, [ORIGIN])):
        allowed = Client().options("/threads/search", **PREFLIGHT)
        refused = Client().options("/threads/search", **{**PREFLIGHT, "HTTP_ORIGIN": "http://evil.example.com"})
    assert allowed["access-control-allow-origin"] == ORIGIN
    assert allowed["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in refused


def test_http_cors_in_langgraph_json_is_applied_with_starlettes_defaults(assistants) -> None:
    cors = {"allow_origin_regex": r"^https://.*\.example\.org$", "allow_headers": ["x-api-key"], "max_age": 30}
    with override_settings(**policy_settings(cors)):
        response = Client().options(
            "/threads",
            **{**PREFLIGHT, "HTTP_ORIGIN": "https://ui.example.org", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "GET"},
        )
        simple = Client().get("/ok", HTTP_ORIGIN="https://ui.example.org")
    assert response["access-control-allow-origin"] == "https://ui.example.org"
    assert response["access-control-allow-methods"] == "GET"  # Starlette's default when none is given
    assert (
        response["access-control-allow-headers"] == "accept, accept-language, content-language, content-type, x-api-key"
    )
    assert response["access-control-max-age"] == "30"
    assert "access-control-expose-headers" not in simple  # nothing exposed unless configured
