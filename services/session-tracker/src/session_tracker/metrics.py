"""Prometheus metrics of the session-tracker (the shared ones live in ctrack_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

__all__ = ["FILTERED_VISITS", "OPEN_SOCKETS"]

FILTERED_VISITS = Counter(
    "session_tracker_filtered_visits_total",
    "Visits answered with the default number and no lease, by reason (bot, prefetch, address_cap, network_cap).",
    ["reason"],
)
OPEN_SOCKETS = Gauge("session_tracker_open_websockets", "WebSockets open on this replica.")
