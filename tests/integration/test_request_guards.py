"""The ASGI handler's guards, driven in-process over ASGI with a client that counts what the server read.

Before any of the body is read: the API key (401) and a declared Content-Length
over the limit (413). While it is read: the limit (a chunked body declares none).
Whatever DEBUG says: an uncaught exception is a JSON 500, its traceback in the log.
"""

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from agentplatform.handler import SyncChainASGIHandler

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
LIMIT = 64 * 1024
CHUNK = 16 * 1024
ANSWER_WITHIN_S = 10.0  # a server waiting for a body that never comes fails this, instead of hanging the test


class Client:
    """One ASGI request: sends `chunks`, then waits forever (a client that never finishes), or
    sends chunks endlessly; records how many body bytes the server pulled and what it answered."""

    def __init__(self, chunks: list[bytes], *, endless: bool = False) -> None:
        self.chunks = list(chunks)
        self.endless = endless
        self.pulled = 0
        self.status: int | None = None
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    async def receive(self) -> dict:
        if self.endless:
            self.pulled += CHUNK
            return {"type": "http.request", "body": b"x" * CHUNK, "more_body": True}
        if not self.chunks:
            await asyncio.Event().wait()  # the rest of the declared body never arrives
        chunk = self.chunks.pop(0)
        self.pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(self.chunks)}

    async def send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {name.lower(): value for name, value in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def json(self) -> dict:
        return orjson.loads(self.body)


def request(
    client: Client, method: str, path: str, headers: dict[str, str] | None = None, *, chunked: bool = False
) -> Client:
    """Run one request through a fresh handler (as uvicorn would) and return the client."""
    headers = {"content-type": "application/json", **(headers or {})}
    if chunked:
        headers["transfer-encoding"] = "chunked"
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    handler = SyncChainASGIHandler()
    try:
        asyncio.run(asyncio.wait_for(handler(scope, client.receive, client.send), ANSWER_WITHIN_S))
    finally:
        handler.executor.shutdown(wait=True)
    return client


@pytest.fixture
def guarded(settings, assistants) -> None:
    settings.API_KEYS = ["the-key"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def test_without_a_key_the_body_is_not_read(guarded: None) -> None:
    body = b'{"metadata": {"x": "' + b"a" * (CHUNK - 20) + b'"}}'
    client = request(Client([body[:100], body[100:]]), "POST", "/threads", {"content-length": str(len(body))})
    assert client.status == 401
    assert client.json() == {"detail": "Missing API key: send it in the x-api-key header"}
    assert client.pulled == 0


def test_with_a_wrong_key_a_chunked_body_is_not_read(guarded: None) -> None:
    client = request(Client([], endless=True), "POST", "/threads", {"x-api-key": "nope"}, chunked=True)
    assert client.status == 401
    assert client.pulled == 0


def test_a_declared_size_over_the_limit_is_413_before_reading(guarded: None) -> None:
    # 200 MB declared, 1 chunk sent, the rest never: the answer must not wait for it.
    client = request(
        Client([b"x" * CHUNK]), "POST", "/threads", {"x-api-key": "the-key", "content-length": str(200 * 1024 * 1024)}
    )
    assert client.status == 413
    assert client.json() == {"detail": f"Request body too large: the limit is {LIMIT} bytes"}
    assert client.pulled == 0


def test_a_chunked_body_is_read_no_further_than_the_limit(guarded: None) -> None:
    client = request(Client([], endless=True), "POST", "/threads", {"x-api-key": "the-key"}, chunked=True)
    assert client.status == 413
    assert LIMIT < client.pulled <= LIMIT + CHUNK


def test_an_authorized_body_within_the_limit_is_served(guarded: None) -> None:
    body = orjson.dumps({"metadata": {"who": "guards"}})
    client = request(Client([body]), "POST", "/threads", {"x-api-key": "the-key", "content-length": str(len(body))})
    assert client.status == 200, client.body
    assert client.json()["metadata"] == {"who": "guards"}
    assert client.pulled == len(body)


def test_health_check_needs_no_key(guarded: None) -> None:
    assert request(Client([b""]), "GET", "/ok").status == 200


def test_an_uncaught_exception_under_debug_is_json_without_settings(
    settings, assistants, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings.DEBUG = True
    settings.API_KEYS = []

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("forced crash")

    monkeypatch.setattr("apps.core.views.InfoView.get", crash)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        client = request(Client([b""]), "GET", "/info", {"accept": "text/html"})
    assert client.status == 500
    assert client.headers[b"content-type"] == b"application/json"
    assert client.json() == {"detail": "Internal server error"}
    # What Django's debug page would show: settings and environment values.
    for secret in (settings.SECRET_KEY, settings.DATABASES["default"]["NAME"], os.environ["REDIS_URL"]):
        assert secret.encode() not in client.body
    assert any("forced crash" in (record.exc_text or "") for record in caplog.records)


def test_an_unknown_path_under_debug_is_a_json_404(settings, assistants) -> None:
    settings.DEBUG = True
    settings.API_KEYS = []
    client = request(Client([b""]), "GET", "/no/such/path", {"accept": "text/html"})
    assert client.status == 404
    assert client.json() == {"detail": "Not Found"}


def test_manage_py_dev_does_not_turn_debug_on() -> None:
    # Runs manage.py's own start-up for `dev`, then reports the settings its processes get instead of serving.
    code = (
        "import sys, manage\n"
        "import apps.devserver.supervisor as supervisor\n"
        "from django.conf import settings\n"
        "supervisor.main = lambda argv: print('DEBUG', settings.DEBUG) or 0\n"
        "sys.argv = ['manage.py', 'dev']\n"
        "manage.main()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DEBUG False"
