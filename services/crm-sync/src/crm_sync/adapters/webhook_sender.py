"""POSTing one signed webhook until the endpoint accepts it, refuses it, or retry time runs out.

Retries use exponential backoff with jitter (tenacity); a `Retry-After` from the endpoint
replaces the backoff (capped at the longest interval). Every attempt carries the same
`webhook-id` and a fresh `webhook-timestamp`/signature.

Waiting between attempts stops at once when the service shuts down: `DeliveryInterrupted`
derives from BaseException so that the shared consumer neither retries nor dead-letters the
record; its offset is not stored, and whoever consumes the partition next delivers it again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_before_delay,
    wait_exponential_jitter,
)

from crm_sync.domain.retry import Verdict, classify, retry_after_seconds
from crm_sync.domain.signing import signed_headers

__all__ = ["Abandoned", "Delivered", "DeliveryInterrupted", "DeliveryResult", "WebhookSender"]

USER_AGENT = "ctrack-webhooks/0.1"


@dataclass(frozen=True)
class Delivered:
    attempts: int
    status_code: int


@dataclass(frozen=True)
class Abandoned:
    attempts: int
    status_code: int | None
    reason: str


DeliveryResult = Delivered | Abandoned


class DeliveryInterrupted(BaseException):
    """The service is stopping while a delivery waits for its next attempt."""


class _RetryableFailure(Exception):
    def __init__(self, reason: str, status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


class WebhookSender:
    """Delivers webhooks over one pooled HTTP client; `stopping` interrupts waits between attempts."""

    def __init__(
        self,
        *,
        timeout_seconds: float,
        retry_initial_seconds: float,
        retry_max_interval_seconds: float,
        max_retry_seconds: float,
        stopping: threading.Event,
    ) -> None:
        self._client = httpx.Client(
            timeout=timeout_seconds, follow_redirects=False, headers={"user-agent": USER_AGENT}
        )
        self._max_interval = retry_max_interval_seconds
        self._max_retry = max_retry_seconds
        self._backoff = wait_exponential_jitter(
            multiplier=retry_initial_seconds, max=retry_max_interval_seconds, jitter=retry_initial_seconds
        )
        self._stopping = stopping

    def deliver(self, url: str, secret: str, webhook_id: str, body: bytes) -> DeliveryResult:
        attempts = 0

        def attempt() -> DeliveryResult:
            nonlocal attempts
            attempts += 1
            return self._attempt(url, secret, webhook_id, body, attempts)

        retrying = Retrying(
            retry=retry_if_exception_type(_RetryableFailure),
            stop=stop_before_delay(self._max_retry),
            wait=self._wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _RetryableFailure as exc:
            reason = f"gave up after {attempts} attempts within {self._max_retry:g}s: {exc.reason}"
            return Abandoned(attempts, exc.status_code, reason)

    def close(self) -> None:
        self._client.close()

    def _attempt(self, url: str, secret: str, webhook_id: str, body: bytes, attempt: int) -> DeliveryResult:
        headers = {
            "content-type": "application/json",
            **signed_headers(secret, webhook_id, int(time.time()), body),
        }
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            raise _RetryableFailure(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        verdict = classify(status)
        if verdict is Verdict.DELIVERED:
            return Delivered(attempt, status)
        if verdict is Verdict.PERMANENT:
            return Abandoned(attempt, status, f"endpoint answered {status}, which is not retried")
        retry_after = retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
        raise _RetryableFailure(f"endpoint answered {status}", status, retry_after)

    def _wait(self, state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome is not None else None
        if isinstance(failure, _RetryableFailure) and failure.retry_after is not None:
            return min(failure.retry_after, self._max_interval)
        return float(self._backoff(state))

    def _sleep(self, seconds: float) -> None:
        if self._stopping.wait(seconds):
            raise DeliveryInterrupted
