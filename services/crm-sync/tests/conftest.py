"""A webhook receiver that follows the Standard Webhooks contract, for unit and integration tests.

It verifies each request with the `standardwebhooks` package (the independent verifier), can be
told to answer the first N attempts (or all) with an error, and counts accepted webhook ids.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass
class Receiver:
    """What the receiver saw; configure `secret`, `fail_first`, `fail_status`, `retry_after`, `always_fail`."""

    url: str
    secret: str = ""
    fail_first: int = 0
    fail_status: int = 503
    retry_after: str | None = None
    always_fail: bool = False
    attempts: list[dict[str, str]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    bodies: dict[str, Any] = field(default_factory=dict)
    unverified: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.attempts.append(headers)
            self.arrived.append(time.monotonic())
            try:
                payload = Webhook(self.secret).verify(body, headers)
            except WebhookVerificationError:
                self.unverified += 1
                return 401, {}
            if self.always_fail or self.fail_first > 0:
                self.fail_first -= 1
                return self.fail_status, ({"Retry-After": self.retry_after} if self.retry_after else {})
            self.accepted[headers["webhook-id"]] += 1
            self.bodies[headers["webhook-id"]] = payload
            return 204, {}

    def attempts_for(self, webhook_id: str) -> int:
        with self.lock:
            return sum(1 for h in self.attempts if h.get("webhook-id") == webhook_id)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status, extra = receiver.answer(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(Receiver(url="")))
    state = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")
    server.RequestHandlerClass = _handler(state)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)
