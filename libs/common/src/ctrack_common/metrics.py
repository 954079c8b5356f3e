"""Prometheus metrics shared by every service; each process exposes them at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = [
    "DEAD_LETTERS",
    "EVENTS_CONSUMED",
    "EVENTS_PRODUCED",
    "HTTP_REQUESTS",
    "HTTP_REQUEST_SECONDS",
]

EVENTS_CONSUMED = Counter(
    "ctrack_events_consumed_total", "Events consumed and handled", ["topic", "event_type"]
)
EVENTS_PRODUCED = Counter("ctrack_events_produced_total", "Events produced", ["topic", "event_type"])
DEAD_LETTERS = Counter("ctrack_dead_letters_total", "Records sent to the dead-letter topic", ["topic"])
HTTP_REQUESTS = Counter("ctrack_http_requests_total", "HTTP requests answered", ["route", "method", "status"])
HTTP_REQUEST_SECONDS = Histogram("ctrack_http_request_seconds", "HTTP request latency", ["route", "method"])
