"""`ctrack replay --what-if` against the real broker: the recorded traffic read back, the simulator's estimate printed.

One pool number, two visitors a minute apart, a call from the first: with the
recorded pool the second visitor is denied a number; the what-if with two
numbers is not. The command runs as the user types it, against the test broker.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from attribution.replay import ReplayRange
from attribution.replay.what_if import recorded_traffic
from ctrack_common.events import (
    CallFacts,
    CallStarted,
    CallStatus,
    Envelope,
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    PoolConfigured,
    PoolConfiguredPayload,
    SessionSnapshot,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import CALLS, CONFIG_NUMBERS, CONFIG_POOLS, VISITS, Topic
from ctrack_sim.what_if import Overrides, what_if
from ctrack_stack.cli import app

START = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def producer(kafka_bootstrap: str) -> Iterator[EventProducer]:
    producer = EventProducer(kafka_bootstrap, client_id="replay-what-if-tests")
    yield producer
    producer.close()


def record(producer: EventProducer, tenant_id: str) -> tuple[str, str]:
    """A one-number pool's config, three visits (one after the range) and a call; returns (pool, number)."""
    pool_id, number = (
        f"pool-{secrets.token_hex(4)}",
        "+1646" + "".join(str(secrets.randbelow(10)) for _ in range(7)),
    )
    config: list[tuple[Topic, str, Envelope]] = [
        (
            CONFIG_POOLS,
            pool_id,
            PoolConfigured(
                event_id=event_id_for("PoolConfigured", pool_id),
                occurred_at=at(-60),
                recorded_at=at(-60),
                tenant_id=tenant_id,
                site_id="site-1",
                payload=PoolConfiguredPayload(pool_id=pool_id, lease_seconds=900, hold_seconds=60),
            ),
        ),
        (
            CONFIG_NUMBERS,
            number,
            NumberConfigured(
                event_id=event_id_for("NumberConfigured", number),
                occurred_at=at(-60),
                recorded_at=at(-60),
                tenant_id=tenant_id,
                payload=NumberConfiguredPayload(
                    number=number, provider="twilio", role=NumberRole.POOL, pool_id=pool_id
                ),
            ),
        ),
    ]
    for topic, key, event in config:
        producer.publish(topic, key, event, wait=True)
    visits = [
        VisitStarted(
            event_id=event_id_for("VisitStarted", pool_id, minute),
            occurred_at=at(minute),
            recorded_at=at(minute),
            tenant_id=tenant_id,
            site_id="site-1",
            payload=VisitStartedPayload(
                visit_id=f"visit-{minute}",
                visitor_id=f"visitor-{minute}",
                pool_id=pool_id,
                page_url="https://shop.example/?utm_source=google",
                session=SessionSnapshot(source="google", medium="cpc"),
            ),
        )
        for minute in (1, 2, 90)
    ]
    producer.publish_many(VISITS, [(pool_id, v) for v in visits], wait=True)
    call = CallFacts(
        call_id=f"twilio:CA{secrets.token_hex(8)}",
        provider="twilio",
        provider_call_id="CA1",
        caller_number="+14155550123",
        tracking_number=number,
        started_at=at(3),
        status=CallStatus.RINGING,
    )
    started = CallStarted(
        event_id=event_id_for("CallStarted", call.call_id),
        occurred_at=at(3),
        recorded_at=at(3),
        tenant_id=tenant_id,
        site_id="site-1",
        payload=call,
    )
    producer.publish(CALLS, number, started, wait=True)
    return pool_id, number


def test_the_recorded_traffic_is_the_tenants_config_then_its_range_in_event_time_order(
    kafka_bootstrap: str, producer: EventProducer
) -> None:
    tenant_id = f"tenant-{secrets.token_hex(4)}"
    record(producer, tenant_id)
    record(producer, f"other-{secrets.token_hex(4)}")
    events = recorded_traffic(kafka_bootstrap, ReplayRange(at(0), at(60), tenant_id))
    assert [e.event_type for e in events] == [
        "PoolConfigured",
        "NumberConfigured",
        "VisitStarted",
        "VisitStarted",
        "CallStarted",
    ]
    assert {e.tenant_id for e in events} == {tenant_id}
    report = what_if(events, Overrides(pool_size=2))
    assert report.recorded.total == report.alternative.total == 1
    assert report.recorded.denied_visits > report.alternative.denied_visits


def test_the_command_prints_the_estimate_table(
    kafka_bootstrap: str, producer: EventProducer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant_id = f"tenant-{secrets.token_hex(4)}"
    record(producer, tenant_id)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    result = CliRunner().invoke(
        app,
        [
            "replay",
            "--from",
            at(0).isoformat(),
            "--to",
            at(60).isoformat(),
            "--tenant",
            tenant_id,
            "--what-if",
            "pool-size=2,hold=30s",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "ESTIMATES" in result.output
    assert "visits denied a number" in result.output
