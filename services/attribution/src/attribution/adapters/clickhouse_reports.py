"""Report queries over `attributed_calls FINAL`: always for one tenant, always parameterised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from attribution.adapters.clickhouse import ClickHouse

__all__ = ["Reports", "SourceStats"]

_AGGREGATES = """
    count() AS calls,
    uniqExact(caller_number) AS unique_callers,
    countIf(answered) AS answered,
    countIf(first_time_caller) AS first_time_callers,
    avg(duration_seconds) AS avg_duration_seconds
"""


@dataclass(frozen=True)
class SourceStats:
    """Calls of one (source, medium, campaign), or of all of them for the totals."""

    calls: int
    unique_callers: int
    answered: int
    first_time_callers: int
    avg_duration_seconds: float | None
    source: str | None = None
    medium: str | None = None
    campaign: str | None = None


def _stats(
    calls: int, unique: int, answered: int, first: int, avg: float | None, **labels: Any
) -> SourceStats:
    return SourceStats(calls, unique, answered, first, None if avg is None else round(avg, 1), **labels)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


class Reports:
    """Reads attributed calls for the reports API."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse
        self._table = f"{clickhouse.database}.attributed_calls"

    def calls_by_source(
        self, tenant_id: str, start: datetime, end: datetime, site_id: str | None
    ) -> tuple[list[SourceStats], SourceStats]:
        """Per source/medium/campaign and in total, for calls started in [start, end)."""
        # Instants travel as UTC text read in UTC: the driver would render datetimes in the server's zone.
        where = (
            "tenant_id = %(tenant_id)s AND started_at >= toDateTime64(%(start)s, 3, 'UTC')"
            " AND started_at < toDateTime64(%(end)s, 3, 'UTC')"
        )
        if site_id is not None:
            where += " AND site_id = %(site_id)s"
        params = {
            "tenant_id": tenant_id,
            "start": _utc_text(start),
            "end": _utc_text(end),
            "site_id": site_id,
        }
        rows = self._clickhouse.execute(
            f"SELECT source, medium, campaign, {_AGGREGATES} FROM {self._table} FINAL WHERE {where}"
            " GROUP BY source, medium, campaign ORDER BY calls DESC, source, medium, campaign",
            params,
        )
        (total,) = self._clickhouse.execute(
            f"SELECT {_AGGREGATES} FROM {self._table} FINAL WHERE {where}", params
        )
        by_source = [_stats(*row[3:], source=row[0], medium=row[1], campaign=row[2]) for row in rows]
        return by_source, _stats(*total)

    def latest_call(self, tenant_id: str, call_id: str) -> dict[str, Any] | None:
        """The latest CallAttributed event of a call, as published, if the tenant owns the call."""
        rows = self._clickhouse.execute(
            f"SELECT raw FROM {self._table} FINAL WHERE tenant_id = %(tenant_id)s AND call_id = %(call_id)s",
            {"tenant_id": tenant_id, "call_id": call_id},
        )
        if not rows:
            return None
        event: dict[str, Any] = orjson.loads(rows[0][0])
        return event
