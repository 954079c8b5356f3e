"""call-ingest's own Prometheus metrics (the shared ones live in ctrack_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["BLOCKED_CALL_EVENTS", "ROUTING_SECONDS", "WEBHOOKS"]

WEBHOOKS = Counter(
    "call_ingest_webhooks_total",
    "Provider webhooks by outcome (forwarded, not_our_number, recorded_rejected, bad_signature, ...)",
    ["provider", "webhook", "outcome"],
)

BLOCKED_CALL_EVENTS = Counter(
    "call_ingest_blocked_call_events_total",
    "Call events flagged because the caller is on the tenant's block list (still forwarded), by provider",
    ["provider"],
)

ROUTING_SECONDS = Histogram(
    "call_ingest_routing_seconds",
    "Time to decide where a ringing call goes (config read model lookup), by provider",
    ["provider"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1),
)
