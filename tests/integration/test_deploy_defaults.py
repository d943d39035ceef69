"""Production defaults refuse to start insecure: secrets, API keys, Flower, cookies, the compose file."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.test import Client

from agentplatform.production import api_keys_problem, secret_key_problem

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = secrets.token_urlsafe(50)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "change-me",
        "change-me-to-a-long-random-string-0123456789-abcdefghijklmnop",
        "django-insecure-" + "x1y2z3" * 10,
        "dev-only-insecure-key-do-not-use-in-production",
        "short-but-random-9f8e7d",
        "a" * 80,
    ],
)
def test_weak_or_placeholder_secret_keys_are_refused(value: str) -> None:
    assert secret_key_problem(value) is not None


def test_a_generated_secret_key_is_accepted() -> None:
    assert secret_key_problem(GOOD_KEY) is None


@pytest.mark.parametrize(
    ("keys", "disabled", "refused"),
    [
        ([], False, True),
        (["change-me"], False, True),
        (["short"], False, True),
        ([], True, False),
        ([secrets.token_urlsafe(24)], False, False),
    ],
)
def test_api_keys_are_required_unless_explicitly_disabled(keys: list[str], disabled: bool, refused: bool) -> None:
    assert (api_keys_problem(keys, disabled) is not None) is refused


def manage_check(**env: str) -> subprocess.CompletedProcess:
    """`manage.py check` in production mode with exactly these security settings."""
    names = ("SECRET_KEY", "DEBUG", "API_KEYS", "API_KEYS_DISABLED")
    base = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env={**base, "DEBUG": "false", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_start_up_refuses_the_old_compose_default() -> None:
    result = manage_check(SECRET_KEY="change-me", API_KEYS=secrets.token_urlsafe(24))
    assert result.returncode != 0
    assert "SECRET_KEY is a placeholder" in result.stderr


def test_production_start_up_refuses_an_open_api_by_default() -> None:
    result = manage_check(SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "API_KEYS must be set when DEBUG is false" in result.stderr


def test_production_start_up_accepts_real_secrets_or_an_explicit_opt_out() -> None:
    for extra in ({"API_KEYS": secrets.token_urlsafe(24)}, {"API_KEYS_DISABLED": "true"}):
        result = manage_check(SECRET_KEY=GOOD_KEY, **extra)
        assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.django_db
@pytest.mark.parametrize(("secure", "expected"), [(True, True), (False, False)])
def test_admin_cookies_are_secure_when_served_over_https(secure: bool, expected: bool) -> None:
    response = Client().get("/admin/login/", secure=secure)
    assert response.status_code == 200
    assert bool(response.cookies["csrftoken"]["secure"]) is expected


@pytest.mark.django_db
def test_a_trusted_proxy_header_makes_cookies_secure(settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get("/admin/login/", headers={"x-forwarded-proto": "https"})
    assert response.cookies["csrftoken"]["secure"] is True


def test_compose_has_no_default_secrets_and_uses_pgvector() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    app_env = compose["x-app"]["environment"]
    assert app_env["SECRET_KEY"].startswith("${SECRET_KEY:?")
    assert "${POSTGRES_PASSWORD:?" in app_env["DATABASE_URL"]
    postgres = compose["services"]["postgres"]
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "pgvector" in postgres["image"]
    # No `${VAR:-default}` hands out a secret.
    assert not re.search(r"\$\{(SECRET_KEY|POSTGRES_PASSWORD|FLOWER_BASIC_AUTH):-", text)
    assert compose["services"]["flower"]["ports"] == ["127.0.0.1:5555:5555"]


def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k != "FLOWER_BASIC_AUTH"}
    return subprocess.run(
        ["sh", str(REPO / "docker" / "entrypoint.sh"), *args],
        env={**base, "ENTRYPOINT_DRY_RUN": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_flower_refuses_to_start_without_a_password() -> None:
    result = entrypoint("flower")
    assert result.returncode == 64
    assert "FLOWER_BASIC_AUTH" in result.stderr
    result = entrypoint("flower", FLOWER_BASIC_AUTH="ops:a-long-password")
    assert result.returncode == 0
    assert "--basic-auth=ops:a-long-password" in result.stdout


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())
    assert {".env", ".venv", ".git", ".agentplatform", "**/node_modules"} <= ignored
