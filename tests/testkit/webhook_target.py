"""A real local HTTP server that records webhook requests and fails the first N of them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the target saw and the status it answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class WebhookTarget:
    """Answers ``fail_status`` to the first ``failures`` requests, then 200."""

    url: str
    failures: int
    fail_status: int = 500
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def succeeded(self) -> list[Received]:
        return [r for r in self.received if r.status == 200]


@contextmanager
def webhook_target(failures: int = 0, fail_status: int = 500) -> Iterator[WebhookTarget]:
    """Run a target on a free loopback port for the duration of the block."""
    target = WebhookTarget(url="", failures=failures, fail_status=fail_status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with target.lock:
                status = target.fail_status if len(target.received) < target.failures else 200
                target.received.append(
                    Received(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                    )
                )
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
