"""crm-sync's own Prometheus metrics (the shared ones live in ctrack_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["BLOCKED_CALLS_SKIPPED", "WEBHOOK_DECISIONS", "WEBHOOK_DELIVERY_ATTEMPTS"]

WEBHOOK_DECISIONS = Counter(
    "crm_sync_webhooks_total",
    "Webhooks per (endpoint, call version) by outcome: delivered, abandoned, already_delivered, superseded...",
    ["outcome"],
)
BLOCKED_CALLS_SKIPPED = Counter(
    "crm_sync_blocked_calls_skipped_total",
    "Attributed call versions never sent to any endpoint because the caller is on the tenant's block list",
)
WEBHOOK_DELIVERY_ATTEMPTS = Counter(
    "crm_sync_webhook_attempts_total", "HTTP attempts spent on webhooks that were delivered or abandoned"
)
