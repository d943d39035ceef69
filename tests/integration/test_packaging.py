"""The compose stack names the real commands; the container entry point works as plain shell."""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"


def entrypoint(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHON": str(REPO / ".venv" / "bin" / "python"), **env}
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args], cwd=REPO, env=full_env, capture_output=True, text=True, timeout=300
    )


def test_compose_file_defines_the_stack() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "migrate", "api", "worker", "beat", "flower"}
    assert services["migrate"]["command"] == ["prepare"]
    for role in ("api", "worker", "beat"):
        assert services[role]["command"] == [role]
        assert services[role]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["beat"]["deploy"]["replicas"] == 1
    assert (
        "healthcheck" in services["postgres"]
        and "healthcheck" in services["redis"]
        and "healthcheck" in services["api"]
    )
    assert (REPO / "Dockerfile").read_text().count("ENTRYPOINT") == 1


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("api", "-m uvicorn agentplatform.asgi:application --host 0.0.0.0 --port 8000 --workers 2"),
        ("worker", "-m celery -A agentplatform worker -Q runs"),
        ("beat", "-m celery -A agentplatform beat"),
        ("prepare", "manage.py prepare"),
    ],
)
def test_entrypoint_roles_name_the_real_commands(role: str, expected: str) -> None:
    result = entrypoint(role, ENTRYPOINT_DRY_RUN="1")
    assert result.returncode == 0
    assert expected in result.stdout


def test_a_plain_celery_worker_gets_the_threads_pool_from_settings(settings) -> None:
    """`celery -A agentplatform worker` with no pool flags: the pool and its size come from settings."""
    from agentplatform.celery import app

    worker = app.WorkController(hostname="packaging-test", without_mingle=True, without_gossip=True)
    assert worker.pool_cls.__module__ == "celery.concurrency.thread"  # not prefork, Celery's default
    assert worker.concurrency == settings.N_JOBS_PER_WORKER


def test_unknown_role_is_refused() -> None:
    result = entrypoint("launch-rockets")
    assert result.returncode == 64
    assert "unknown role" in result.stderr


def test_entrypoint_prepares_a_fresh_database() -> None:
    name = f"agentplatform_entry_{uuid.uuid4().hex[:10]}"
    base = urlsplit(os.environ["DATABASE_URL"])
    admin_url = urlunsplit(base._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        result = entrypoint("prepare", DATABASE_URL=urlunsplit(base._replace(path=f"/{name}")), DEBUG="true")
        assert result.returncode == 0, result.stderr[-2000:]
        assert "default assistant" in result.stdout
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
