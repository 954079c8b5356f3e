"""Which endpoint answers are worth retrying, and how long the endpoint asked us to wait.

| answer                          | verdict    |
|---------------------------------|------------|
| 2xx                             | delivered  |
| 408, 409, 429, 5xx, no answer   | retry      |
| other 1xx/3xx/4xx               | permanent  |

Redirects are not followed (the endpoint URL is the tenant's to fix), so 3xx is permanent.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

__all__ = ["RETRYABLE_CLIENT_ERRORS", "Verdict", "classify", "retry_after_seconds"]

RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 429})


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    PERMANENT = "permanent"


def classify(status_code: int) -> Verdict:
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    if status_code >= 500 or status_code in RETRYABLE_CLIENT_ERRORS:
        return Verdict.RETRY
    return Verdict.PERMANENT


def retry_after_seconds(header: str | None, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: delay-seconds or an HTTP date; None if absent or unreadable."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
