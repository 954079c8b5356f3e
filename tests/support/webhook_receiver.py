"""A stand-in for a customer's webhook endpoint that checks Standard Webhooks signatures.

It verifies every request with the `standardwebhooks` reference library (the independent
implementation, not ours) and counts what it accepted by `webhook-id`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook

__all__ = ["WebhookReceiver"]


class WebhookReceiver:
    """An HTTP server on a free local port; `secret` must be set before deliveries arrive."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.accepted: Counter[str] = Counter()
        self.bodies: dict[str, dict[str, Any]] = {}
        self.rejected_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver._receive(body, {k.lower(): v for k, v in self.headers.items()})
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/calls"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _receive(self, body: bytes, headers: dict[str, str]) -> int:
        if self.secret is None:
            return 503
        try:
            Webhook(self.secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any verification failure is a rejected signature
            with self._lock:
                self.rejected_signatures += 1
            return 401
        with self._lock:
            webhook_id = headers["webhook-id"]
            self.accepted[webhook_id] += 1
            self.bodies[webhook_id] = json.loads(body)
        return 204

    def versions_of(self, call_id: str) -> list[int]:
        with self._lock:
            return sorted(
                body["payload"]["version"]
                for body in self.bodies.values()
                if body["payload"]["call_id"] == call_id
            )
