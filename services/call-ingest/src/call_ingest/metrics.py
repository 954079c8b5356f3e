"""call-ingest's own Prometheus metrics (the shared ones live in ctrack_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["WEBHOOKS"]

WEBHOOKS = Counter(
    "call_ingest_webhooks_total",
    "Provider webhooks by outcome (forwarded, not_our_number, recorded_rejected, bad_signature, ...)",
    ["provider", "webhook", "outcome"],
)
