"""Token-bucket rate limiting for public endpoints (per client address, per process)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fastapi import HTTPException, Request, status

__all__ = ["RateLimit"]


class RateLimit:
    """A FastAPI dependency allowing `rate` requests per second with bursts of `burst` per client."""

    def __init__(self, rate: float, burst: int, max_clients: int = 100_000) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> None:
        self.check(request.client.host if request.client else "unknown")

    def check(self, client: str) -> None:
        """Spend one token of `client` (any key: an address, a visitor id); 429 when none is left."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
        if not allowed:
            retry_after = max(1, int((1.0 - tokens) / self._rate) + 1)
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                detail=f"rate limit of {self._rate:g} requests/s exceeded",
                headers={"Retry-After": str(retry_after)},
            )
