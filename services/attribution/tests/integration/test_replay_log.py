"""`ctrack replay` against the real broker and ClickHouse: leases and calls in, the replay topic and table out.

The test publishes a tenant's lease history (re-keyed by number, as the live
service writes it), its calls and one live answer, then replays one hour of it
twice. A lease granted before the range and a call before the range both shape
the answers inside it, which is why replay reads the log from its beginning.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from clickhouse_driver import Client
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from attribution.config import Settings
from attribution.replay import ReplayRange, run_replay
from attribution.replay.runner import REPLAY_ID_HEADER
from ctrack_common.events import (
    CallAttributed,
    CallFacts,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    Classification,
    LeaseGranted,
    LeaseGrantedPayload,
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    SessionSnapshot,
    decode,
    event_id_for,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import (
    ATTRIBUTED_CALLS,
    ATTRIBUTED_CALLS_REPLAY,
    CALLS,
    CONFIG_NUMBERS,
    LEASE_HISTORY_BY_NUMBER,
)

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
CALLER = "+14155550111"


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def random_number() -> str:
    return "+1646" + "".join(str(secrets.randbelow(10)) for _ in range(7))


class Log:
    """One tenant's facts on the real topics."""

    def __init__(self, producer: EventProducer, tenant_id: str) -> None:
        self.producer = producer
        self.tenant_id = tenant_id

    def lease(self, number: str, granted: float, expires: float, source: str) -> LeaseGranted:
        lease_id = f"lease-{secrets.token_hex(4)}"
        event = LeaseGranted(
            event_id=event_id_for("LeaseGranted", lease_id),
            occurred_at=at(granted),
            recorded_at=at(granted),
            tenant_id=self.tenant_id,
            site_id="site-1",
            payload=LeaseGrantedPayload(
                lease_id=lease_id,
                pool_id="pool-1",
                number=number,
                visitor_id=f"visitor-{lease_id}",
                visit_id=f"visit-{lease_id}",
                expires_at=at(expires),
                session=SessionSnapshot(source=source, medium="cpc", campaign="autumn"),
            ),
        )
        self.producer.publish(LEASE_HISTORY_BY_NUMBER, number, event, wait=True)
        return event

    def call(self, number: str, started: float, *, ended: float | None = None, caller: str = CALLER) -> str:
        call_id = f"twilio:CA{secrets.token_hex(8)}"
        facts = CallFacts(
            call_id=call_id,
            provider="twilio",
            provider_call_id=call_id.removeprefix("twilio:"),
            caller_number=caller,
            tracking_number=number,
            started_at=at(started),
            status=CallStatus.RINGING,
        )
        events: list[CallStarted | CallStatusChanged] = [
            CallStarted(
                event_id=event_id_for("CallStarted", call_id),
                occurred_at=at(started),
                recorded_at=at(started),
                tenant_id=self.tenant_id,
                site_id="site-1",
                payload=facts,
            )
        ]
        if ended is not None:
            done = facts.model_copy(
                update={"status": CallStatus.COMPLETED, "answered": True, "sequence_number": 2}
            )
            events.append(
                CallStatusChanged(
                    event_id=event_id_for("CallStatusChanged", call_id, 2),
                    occurred_at=at(ended),
                    recorded_at=at(ended),
                    tenant_id=self.tenant_id,
                    site_id="site-1",
                    payload=done,
                )
            )
        self.producer.publish_many(CALLS, [(number, e) for e in events], wait=True)
        return call_id

    def number(self, number: str, role: NumberRole) -> None:
        event = NumberConfigured(
            event_id=event_id_for("NumberConfigured", number),
            occurred_at=at(-600),
            recorded_at=at(-600),
            tenant_id=self.tenant_id,
            payload=NumberConfiguredPayload(number=number, provider="twilio", role=role),
        )
        self.producer.publish(CONFIG_NUMBERS, number, event, wait=True)


def replayed_records(bootstrap: str, replay_id: str) -> list[bytes]:
    """Values on the replay topic labelled with `replay_id`, in partition then offset order."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-{secrets.token_hex(4)}",
            "enable.auto.commit": False,
        }
    )
    try:
        partitions = sorted(
            consumer.list_topics(ATTRIBUTED_CALLS_REPLAY.name, timeout=10)
            .topics[ATTRIBUTED_CALLS_REPLAY.name]
            .partitions
        )
        values: list[bytes] = []
        for partition in partitions:
            tp = TopicPartition(ATTRIBUTED_CALLS_REPLAY.name, partition, OFFSET_BEGINNING)
            _, high = consumer.get_watermark_offsets(tp, timeout=10)
            consumer.assign([tp])
            offset = -1
            while offset + 1 < high:
                msg = consumer.poll(5)
                assert msg is not None, f"partition {partition} stopped before offset {high}"
                offset = int(msg.offset() or 0)
                if (REPLAY_ID_HEADER, replay_id.encode()) in (msg.headers() or []):
                    values.append(bytes(msg.value() or b""))
        return values
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def database() -> str:
    return f"ctrack_replay_{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def clickhouse(clickhouse_port: int, database: str) -> Iterator[Client]:
    client = Client(host="127.0.0.1", port=clickhouse_port)
    yield client
    client.execute(f"DROP DATABASE IF EXISTS {database}")
    client.disconnect()


@pytest.fixture(scope="module")
def producer(kafka_bootstrap: str) -> Iterator[EventProducer]:
    producer = EventProducer(kafka_bootstrap, client_id="replay-tests")
    yield producer
    producer.close()


def test_replay_recomputes_a_range_into_its_own_topic_and_table_and_a_rerun_is_identical(
    kafka_bootstrap: str, clickhouse_port: int, database: str, clickhouse: Client, producer: EventProducer
) -> None:
    log = Log(producer, f"tenant-{secrets.token_hex(4)}")
    pool_number, unleased, default = random_number(), random_number(), random_number()
    log.number(default, NumberRole.DEFAULT)
    lease = log.lease(pool_number, granted=-10, expires=20, source="google")  # granted before the range
    before = log.call(pool_number, started=-30)  # makes the same caller a repeat caller in range
    dynamic = log.call(pool_number, started=5, ended=9)
    never = log.call(unleased, started=10, caller="+14155550112")
    shown_default = log.call(default, started=15, caller="+14155550113")
    # After the range: read (they move their partitions' stream time on), never written.
    for number in (pool_number, unleased, default):
        log.call(number, started=70, caller=f"+1415555{secrets.randbelow(10000):04d}")
    # What the live join said about `dynamic`: wrong, so the replay has something to disagree with.
    live_facts = CallFacts(
        call_id=dynamic,
        provider="twilio",
        provider_call_id=dynamic.removeprefix("twilio:"),
        caller_number=CALLER,
        tracking_number=pool_number,
        started_at=at(5),
        status=CallStatus.RINGING,
    )
    live = CallAttributed.model_validate(
        {
            "event_id": event_id_for("CallAttributed", dynamic, 1),
            "occurred_at": at(5),
            "recorded_at": at(5),
            "tenant_id": log.tenant_id,
            "site_id": "site-1",
            "payload": {
                "call_id": dynamic,
                "version": 1,
                "call": live_facts.model_dump(),
                "classification": Classification.UNATTRIBUTED,
                "unattributed_reason": "no_lease_at_call_time",
                "confidence": 0.0,
                "first_time_caller": False,
            },
        }
    )
    producer.publish(ATTRIBUTED_CALLS, dynamic, live, wait=True)

    settings = Settings(
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        CLICKHOUSE_PORT=clickhouse_port,
        CLICKHOUSE_DATABASE=database,
        JOIN_GRACE_SECONDS=60,
    )
    selection = ReplayRange(at(0), at(60), log.tenant_id)
    replay_id = f"it_{secrets.token_hex(4)}"
    first = run_replay(settings, selection, replay_id)

    summary = first.summary
    assert summary.calls == 3
    assert summary.classifications == {"default-before-display": 1, "dynamic": 1, "unattributed": 1}
    assert summary.classification_changes == {"unattributed -> dynamic": 1}
    assert sorted(summary.missing_live) == sorted([never, shown_default])
    assert before not in summary.missing_live
    assert first.table == f"{database}.attributed_calls_replay_{replay_id}"

    reasons = clickhouse.execute(
        f"SELECT unattributed_reason, count() FROM {first.table} FINAL"
        " WHERE unattributed_reason IS NOT NULL GROUP BY unattributed_reason"
    )
    assert summary.unattributed_reasons == dict(reasons)
    assert sum(summary.unattributed_reasons.values()) == 2  # every call without a session says why
    columns = "call_id, version, classification, lease_id, first_time_caller, status, source"
    rows = clickhouse.execute(f"SELECT {columns} FROM {first.table} FINAL ORDER BY call_id")
    assert sorted(rows) == sorted(
        [
            (dynamic, 2, "dynamic", lease.payload.lease_id, False, "completed", "google"),
            (never, 1, "unattributed", None, True, "ringing", None),
            (shown_default, 1, "default-before-display", None, True, "ringing", None),
        ]
    )
    records = replayed_records(kafka_bootstrap, replay_id)
    published = [decode(value, ATTRIBUTED_CALLS_REPLAY) for value in records]
    assert sorted(
        (e.payload.call_id, e.payload.version) for e in published if isinstance(e, CallAttributed)
    ) == sorted([(dynamic, 1), (dynamic, 2), (never, 1), (shown_default, 1)])
    # The replay's ids are its own, so its versions never pass for the live ones downstream.
    live_ids = {event_id_for("CallAttributed", dynamic, version) for version in (1, 2)}
    assert live_ids.isdisjoint(e.event_id for e in published)

    everything = "SELECT * FROM {table} ORDER BY call_id, version"
    first_rows: list[Any] = clickhouse.execute(everything.format(table=first.table))
    second = run_replay(settings, selection, replay_id)
    assert clickhouse.execute(everything.format(table=second.table)) == first_rows
    assert sorted(replayed_records(kafka_bootstrap, replay_id)) == sorted(records * 2)
    assert second.summary.classifications == summary.classifications
