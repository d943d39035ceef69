"""langgraph.json's http.cors and CORS_ALLOW_ORIGINS become upstream's CORS policy."""

from apps.core.cors import ALL_METHODS, DEFAULT_EXPOSE_HEADERS, cors_policy


def test_without_configuration_everything_is_allowed_without_credentials() -> None:
    policy = cors_policy(None, None)
    assert policy.allow_all_origins and not policy.allow_credentials
    assert policy.allow_methods == ALL_METHODS and policy.allow_headers == ["*"]
    assert policy.expose_headers == DEFAULT_EXPOSE_HEADERS and policy.max_age == 600


def test_cors_allow_origins_lists_origins_and_then_allows_credentials() -> None:
    policy = cors_policy(None, ["https://a.example.com", "https://b.example.com"])
    assert not policy.allow_all_origins and policy.allow_credentials
    assert policy.allowed_origins == ["https://a.example.com", "https://b.example.com"]
    assert policy.expose_headers == DEFAULT_EXPOSE_HEADERS


def test_http_cors_means_exactly_what_it_says() -> None:
    policy = cors_policy(
        {"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"], "expose_headers": ["x-a"]}, None
    )
    assert policy.allow_all_origins and policy.allow_methods == ALL_METHODS and policy.allow_headers == ["*"]
    assert policy.expose_headers == ["x-a"] and not policy.allow_credentials


def test_http_cors_without_origins_takes_cors_allow_origins() -> None:
    policy = cors_policy({"allow_credentials": True}, ["https://a.example.com"])
    assert policy.allowed_origins == ["https://a.example.com"] and policy.allow_credentials
    assert policy.allow_methods == ["GET"] and policy.expose_headers == []
