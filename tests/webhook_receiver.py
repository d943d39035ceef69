"""A tiny HTTP server that records webhook deliveries (integration and e2e tests)."""

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    # Status codes to answer, in order; 200 once they are used up.
    statuses: list[int] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, delivery: Delivery) -> int:
        with self.lock:
            self.deliveries.append(delivery)
            return self.statuses.pop(0) if self.statuses else 200

    def received(self, path: str | None = None) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if path is None or d.path == path]


@contextlib.contextmanager
def webhook_receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    """A threading HTTPServer on a free loopback port; `receiver.url` is its base URL."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = receiver.answer(Delivery(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}", statuses=list(statuses or []))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
