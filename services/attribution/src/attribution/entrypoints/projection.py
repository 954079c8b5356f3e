"""The ClickHouse projection consumer: raw facts and attributed calls, inserted batch by batch."""

from __future__ import annotations

from attribution.adapters.clickhouse_rows import row_for
from attribution.adapters.clickhouse_sink import ClickHouseSink
from attribution.metrics import CLICKHOUSE_ROWS
from ctrack_common.messaging import Record

__all__ = ["ProjectionHandler"]


class ProjectionHandler:
    """Handler of the `<prefix>-clickhouse` consumer group over VISITS, LEASES, CALLS, ATTRIBUTED_CALLS.

    A ClickHouse outage is retried inside the sink (CLICKHOUSE_RETRY_SECONDS); past that the
    handler raises and the shared consumer retries record by record, then dead-letters.
    """

    def __init__(self, sink: ClickHouseSink) -> None:
        self._sink = sink

    def handle(self, records: list[Record]) -> None:
        rows = [row for record in records if (row := row_for(record.event)) is not None]
        for table, count in self._sink.write(rows).items():
            CLICKHOUSE_ROWS.labels(table).inc(count)
