"""Metrics of the attribution service (the shared ones live in ctrack_common.metrics)."""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["ATTRIBUTED_VERSIONS", "CLICKHOUSE_ROWS", "JOIN_DEAD_LETTERS", "LEASES_REKEYED"]

ATTRIBUTED_VERSIONS = Counter(
    "ctrack_attribution_versions_total", "Attributed-call versions published", ["classification"]
)
LEASES_REKEYED = Counter(
    "ctrack_attribution_leases_rekeyed_total", "Lease events republished keyed by number"
)
CLICKHOUSE_ROWS = Counter(
    "ctrack_attribution_clickhouse_rows_total", "Rows inserted into ClickHouse", ["table"]
)
JOIN_DEAD_LETTERS = Counter(
    "ctrack_attribution_join_dead_letters_total", "Records the join could not process", ["topic"]
)
