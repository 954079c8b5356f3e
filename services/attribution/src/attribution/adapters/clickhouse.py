"""A ClickHouse connection that survives brief outages.

clickhouse-driver clients are not thread-safe, so each user (the projection's
consumer thread, the HTTP handlers, readiness) gets its own `ClickHouse`, and
calls on one are serialised by a lock. Transient connection errors are retried
with backoff for `retry_seconds` (the driver reconnects on the next call), so a
ClickHouse restart delays rows instead of dead-lettering them.
"""

from __future__ import annotations

import threading
from typing import Any

from clickhouse_driver import Client
from clickhouse_driver.errors import NetworkError, SocketTimeoutError
from tenacity import Retrying, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

from attribution.config import Settings

__all__ = ["TRANSIENT_ERRORS", "ClickHouse"]

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (NetworkError, SocketTimeoutError, EOFError, OSError)


class ClickHouse:
    """Queries and inserts against one ClickHouse server, retrying lost connections."""

    def __init__(self, settings: Settings, *, retry_seconds: float | None = None) -> None:
        self.database = settings.CLICKHOUSE_DATABASE
        self._client = Client(
            host=settings.CLICKHOUSE_HOST,
            port=settings.CLICKHOUSE_PORT,
            user=settings.CLICKHOUSE_USER,
            password=settings.CLICKHOUSE_PASSWORD,
            connect_timeout=3,
            send_receive_timeout=60,
        )
        self._retry_seconds = settings.CLICKHOUSE_RETRY_SECONDS if retry_seconds is None else retry_seconds
        self._lock = threading.Lock()

    def execute(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run a query (or an INSERT with rows as `params`), retrying transient connection errors."""
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT_ERRORS),
            stop=stop_after_delay(self._retry_seconds),
            wait=wait_exponential_jitter(multiplier=0.2, max=5.0, jitter=0.2),
            reraise=True,
        )
        with self._lock:
            result: list[tuple[Any, ...]] = retrying(self._client.execute, query, params)
        return result

    def ping(self) -> bool:
        """SELECT 1 without retrying: readiness must answer quickly."""
        try:
            with self._lock:
                return bool(self._client.execute("SELECT 1") == [(1,)])
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            return False

    def close(self) -> None:
        with self._lock:
            self._client.disconnect()
