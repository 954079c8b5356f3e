"""Writes projection rows to ClickHouse in one INSERT per table per batch."""

from __future__ import annotations

from collections.abc import Iterable

from attribution.adapters.clickhouse import ClickHouse
from attribution.adapters.clickhouse_rows import Row

__all__ = ["ClickHouseSink"]


class ClickHouseSink:
    """Inserts rows grouped by table; idempotent because every table replaces duplicates by key."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self._clickhouse = clickhouse

    def write(self, rows: Iterable[tuple[str, Row]]) -> dict[str, int]:
        by_table: dict[str, list[Row]] = {}
        for table, row in rows:
            by_table.setdefault(table, []).append(row)
        for table, table_rows in by_table.items():
            columns = ", ".join(table_rows[0])
            self._clickhouse.execute(
                f"INSERT INTO {self._clickhouse.database}.{table} ({columns}) VALUES", table_rows
            )
        return {table: len(table_rows) for table, table_rows in by_table.items()}
