"""Run a replay: read the log, recompute it, write the replay topic and table, compare with live.

Reads, from the beginning: the config topics (numbers, as they stand now),
and per partition the re-keyed lease history and the calls, so the join sees a
number's whole lease history and the caller history before the range, and the
same stream time as the live join. Only calls that started in the range are written.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from confluent_kafka.admin import AdminClient

from attribution.adapters.clickhouse import ClickHouse
from attribution.adapters.clickhouse_rows import row_for
from attribution.adapters.clickhouse_schema import migrate
from attribution.adapters.clickhouse_sink import ClickHouseSink
from attribution.config import Settings
from attribution.replay.join import recompute, replay_event
from attribution.replay.selection import ReplayRange
from attribution.replay.summary import ReplaySummary, summarise
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallAttributed, Envelope, encode
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import (
    ATTRIBUTED_CALLS,
    ATTRIBUTED_CALLS_REPLAY,
    CALLS,
    CONFIG_NUMBERS,
    CONFIG_POOLS,
    CONFIG_SITES,
    LEASE_HISTORY_BY_NUMBER,
    Topic,
)

__all__ = ["LIVE_TABLE", "REPLAY_ID_HEADER", "ReplayOutput", "replay_table", "run_replay"]

REPLAY_ID_HEADER = "replay-id"
LIVE_TABLE = "attributed_calls"
_WRITE_BATCH = 5000


def replay_table(replay_id: str) -> str:
    return f"{LIVE_TABLE}_replay_{replay_id}"


@dataclass(frozen=True)
class ReplayOutput:
    summary: ReplaySummary
    topic: str
    table: str


def _partitions(bootstrap: str) -> list[int]:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(CALLS.name, timeout=15)
    return sorted(metadata.topics[CALLS.name].partitions)


def _read(bootstrap: str, reads: list[tuple[Topic, int | None]]) -> list[list[Envelope]]:
    """Each (topic, partition or all) read to its end; in parallel, as each reader mostly waits on the broker."""

    def read_one(read: tuple[Topic, int | None]) -> list[Envelope]:
        topic, partition = read
        return list(replay(bootstrap, topic, None if partition is None else [partition]))

    with ThreadPoolExecutor(max_workers=len(reads)) as pool:
        return list(pool.map(read_one, reads))


def _recomputed(
    settings: Settings, selection: ReplayRange, replay_id: str
) -> tuple[list[CallAttributed], dict[str, float]]:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    began = time.perf_counter()
    partition_ids = _partitions(bootstrap)
    config_topics: list[tuple[Topic, int | None]] = [
        (CONFIG_SITES, None),
        (CONFIG_POOLS, None),
        (CONFIG_NUMBERS, None),
    ]
    logs = [(topic, p) for p in partition_ids for topic in (LEASE_HISTORY_BY_NUMBER, CALLS)]
    read = _read(bootstrap, [*config_topics, *logs])
    config = ConfigView()
    for events in read[: len(config_topics)]:
        for event in events:
            config.apply(event)
    by_log = read[len(config_topics) :]
    partitions = {p: (by_log[2 * i], by_log[2 * i + 1]) for i, p in enumerate(partition_ids)}
    joined = time.perf_counter()
    seconds = {"read": joined - began}
    # Stream time reaches the range's end plus the grace, as idle ticks would have moved it live by now.
    settle_at = selection.end + settings.join_grace
    out = [
        replay_event(answer, occurred_at, recorded_at, replay_id)
        for answer, occurred_at, recorded_at in recompute(
            partitions,
            grace=settings.join_grace,
            retention=settings.lease_retention,
            config=config,
            settle_at=settle_at,
        )
        if selection.covers(answer.call.tenant_id, answer.call.started_at)
    ]
    seconds["join"] = time.perf_counter() - joined
    return out, seconds


def _publish(settings: Settings, events: list[CallAttributed], replay_id: str) -> None:
    producer = EventProducer(settings.KAFKA_BOOTSTRAP_SERVERS, client_id=f"replay-{replay_id}")
    header = [(REPLAY_ID_HEADER, replay_id.encode())]
    for event in events:
        producer.produce_raw(ATTRIBUTED_CALLS_REPLAY, event.payload.call_id, encode(event), header)
    producer.flush(120)


def _write_table(settings: Settings, events: list[CallAttributed], table: str) -> None:
    clickhouse = ClickHouse(settings)
    try:
        migrate(clickhouse)
        database = clickhouse.database
        # The replay table is the live one's structure, so it follows every migration of the live table;
        # a rerun under the same id replaces the previous run's rows rather than mixing with them.
        clickhouse.execute(f"DROP TABLE IF EXISTS {database}.{table}")
        clickhouse.execute(f"CREATE TABLE {database}.{table} AS {database}.{LIVE_TABLE}")
        sink = ClickHouseSink(clickhouse)
        rows = [(table, projected[1]) for e in events if (projected := row_for(e)) is not None]
        for start in range(0, len(rows), _WRITE_BATCH):
            sink.write(rows[start : start + _WRITE_BATCH])
    finally:
        clickhouse.close()


def run_replay(settings: Settings, selection: ReplayRange, replay_id: str) -> ReplayOutput:
    """Recompute the range into the replay topic and table `attributed_calls_replay_<replay_id>`."""
    events, seconds = _recomputed(settings, selection, replay_id)
    began = time.perf_counter()
    _publish(settings, events, replay_id)
    table = replay_table(replay_id)
    _write_table(settings, events, table)
    seconds["write"] = time.perf_counter() - began
    live = (
        e for e in replay(settings.KAFKA_BOOTSTRAP_SERVERS, ATTRIBUTED_CALLS) if isinstance(e, CallAttributed)
    )
    summary = summarise(replay_id, events, live, selection, seconds)
    return ReplayOutput(summary, ATTRIBUTED_CALLS_REPLAY.name, f"{settings.CLICKHOUSE_DATABASE}.{table}")
