"""The attribution service as a process, against the real broker and the real ClickHouse.

Each test publishes its own facts under fresh tenant ids; the service runs with
its own consumer groups and its own ClickHouse database, so nothing here sees
another test's data or disturbs a running stack.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from clickhouse_driver import Client
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from ctrack_common.config_view import api_key_digest
from ctrack_common.events import (
    CallAttributed,
    CallFacts,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    Envelope,
    LeaseGranted,
    LeaseGrantedPayload,
    SessionSnapshot,
    TenantConfigured,
    TenantConfiguredPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.topics import ATTRIBUTED_CALLS, CALLS, CONFIG_TENANTS, DEAD_LETTERS, LEASES
from ctrack_stack.testing import ServiceProcess, start_service, wait_until

DEADLINE = 90.0
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def random_number() -> str:
    return "+1415" + "".join(str(secrets.randbelow(10)) for _ in range(7))


class Tenant:
    """A tenant of this test run, with its API key published on the config topic."""

    def __init__(self, producer: EventProducer) -> None:
        self.tenant_id = unique("tenant")
        self.api_key = secrets.token_urlsafe(24)
        event = TenantConfigured(
            event_id=event_id_for("TenantConfigured", self.tenant_id),
            occurred_at=NOW,
            recorded_at=NOW,
            tenant_id=self.tenant_id,
            payload=TenantConfiguredPayload(
                name=self.tenant_id, api_key_sha256=(api_key_digest(self.api_key),)
            ),
        )
        producer.publish(CONFIG_TENANTS, self.tenant_id, event, wait=True)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


class AttributedCalls:
    """Everything published on attributed-calls since the test session began reading it."""

    def __init__(self, bootstrap: str) -> None:
        self._lock = threading.Lock()
        self._events: list[CallAttributed] = []
        self._follower = LogFollower(bootstrap, [ATTRIBUTED_CALLS], self._collect)

    def _collect(self, event: Envelope) -> None:
        if isinstance(event, CallAttributed):
            with self._lock:
                self._events.append(event)

    def of(self, call_id: str) -> list[CallAttributed]:
        """The distinct versions of a call, in publication order (a join replay re-publishes the same ids)."""
        with self._lock:
            distinct = {e.event_id: e for e in self._events if e.payload.call_id == call_id}
        return list(distinct.values())

    def last_record(self, call_id: str) -> CallAttributed:
        """The call's latest record in topic order, repeats included."""
        with self._lock:
            return [e for e in self._events if e.payload.call_id == call_id][-1]

    def latest(self, call_id: str) -> CallAttributed | None:
        versions = self.of(call_id)
        return max(versions, key=lambda e: e.payload.version) if versions else None

    def version_of(self, call_id: str) -> int:
        latest = self.latest(call_id)
        return latest.payload.version if latest else 0

    def attributed_to(self, call_id: str, source: str) -> bool:
        """The latest version names the session from `source` (the call may first arrive before its lease)."""
        latest = self.latest(call_id)
        return bool(
            latest
            and latest.payload.classification == "dynamic"
            and latest.payload.session
            and latest.payload.session.source == source
        )

    def __enter__(self) -> AttributedCalls:
        self._follower.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._follower.stop()


@pytest.fixture(scope="module")
def database() -> str:
    return f"ctrack_test_{secrets.token_hex(4)}"


@pytest.fixture(scope="module")
def clickhouse(clickhouse_port: int, database: str) -> Iterator[Client]:
    client = Client(host="127.0.0.1", port=clickhouse_port)
    yield client
    client.execute(f"DROP DATABASE IF EXISTS {database}")
    client.disconnect()


@pytest.fixture(scope="module")
def producer(kafka_bootstrap: str) -> Iterator[EventProducer]:
    producer = EventProducer(kafka_bootstrap, client_id="attribution-tests")
    yield producer
    producer.close()


@pytest.fixture(scope="module")
def attributed(kafka_bootstrap: str) -> Iterator[AttributedCalls]:
    with AttributedCalls(kafka_bootstrap) as calls:
        yield calls


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str,
    clickhouse_port: int,
    database: str,
    clickhouse: Client,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ServiceProcess]:
    logs: Path = tmp_path_factory.mktemp("attribution-logs")
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "CLICKHOUSE_PORT": str(clickhouse_port),
        "CLICKHOUSE_DATABASE": database,
        "CONSUMER_GROUP_PREFIX": unique("attribution-test"),
        "CLICKHOUSE_RETRY_SECONDS": "5",
    }
    process = start_service("attribution", env, logs)
    yield process
    process.stop()


def lease_granted(tenant: Tenant, number: str, source: str) -> LeaseGranted:
    lease_id = unique("lease")
    return LeaseGranted(
        event_id=event_id_for("LeaseGranted", lease_id),
        occurred_at=NOW,
        recorded_at=NOW,
        tenant_id=tenant.tenant_id,
        site_id="site-1",
        payload=LeaseGrantedPayload(
            lease_id=lease_id,
            pool_id="pool-1",
            number=number,
            visitor_id=unique("visitor"),
            visit_id=unique("visit"),
            expires_at=NOW + timedelta(minutes=15),
            session=SessionSnapshot(source=source, medium="email", campaign="spring"),
        ),
    )


def call_facts(
    number: str, *, status: CallStatus = CallStatus.RINGING, seq: int = 0, **extra: object
) -> CallFacts:
    call_id = unique("twilio:CA")
    return CallFacts(
        call_id=call_id,
        provider="twilio",
        provider_call_id=call_id.split(":")[1],
        caller_number=random_number(),
        tracking_number=number,
        started_at=NOW + timedelta(minutes=2),
        status=status,
        sequence_number=seq,
        **extra,  # type: ignore[arg-type]
    )


def call_started(tenant: Tenant, facts: CallFacts) -> CallStarted:
    return CallStarted(
        event_id=event_id_for("CallStarted", facts.call_id),
        occurred_at=facts.started_at,
        recorded_at=facts.started_at,
        tenant_id=tenant.tenant_id,
        site_id="site-1",
        payload=facts,
    )


def publish_lease_and_call(
    producer: EventProducer, tenant: Tenant, source: str
) -> tuple[LeaseGranted, CallStarted]:
    number = random_number()
    lease = lease_granted(tenant, number, source)
    call = call_started(tenant, call_facts(number))
    producer.publish(LEASES, lease.payload.pool_id, lease, wait=True)
    producer.publish(CALLS, number, call, wait=True)
    return lease, call


def final_rows(clickhouse: Client, database: str, tenant: Tenant, call_id: str) -> list[tuple[object, ...]]:
    return clickhouse.execute(
        f"SELECT version, classification, source, answered, duration_seconds FROM {database}.attributed_calls FINAL"
        " WHERE tenant_id = %(t)s AND call_id = %(c)s",
        {"t": tenant.tenant_id, "c": call_id},
    )


def report(service: ServiceProcess, tenant: Tenant) -> httpx.Response:
    day = (NOW + timedelta(minutes=2)).date().isoformat()
    return httpx.get(
        f"{service.url}/v1/reports/calls-by-source",
        params={"from": day, "to": day},
        headers=tenant.headers,
        timeout=10,
    )


def test_a_call_during_a_lease_is_attributed_stored_and_reported_to_its_tenant_only(
    service: ServiceProcess,
    producer: EventProducer,
    attributed: AttributedCalls,
    clickhouse: Client,
    database: str,
) -> None:
    tenant, other = Tenant(producer), Tenant(producer)
    source = unique("newsletter")
    lease, call = publish_lease_and_call(producer, tenant, source)
    call_id = call.payload.call_id

    wait_until(
        lambda: attributed.attributed_to(call_id, source),
        timeout=DEADLINE,
        what="the call on attributed-calls",
    )
    event = attributed.latest(call_id)
    assert event is not None
    assert event.payload.lease_id == lease.payload.lease_id
    assert event.payload.visitor_id == lease.payload.visitor_id
    version = event.payload.version

    wait_until(
        lambda: (
            final_rows(clickhouse, database, tenant, call_id) == [(version, "dynamic", source, False, None)]
        ),
        timeout=DEADLINE,
        what="the attributed call in ClickHouse",
    )

    def reported() -> bool:
        response = report(service, tenant)
        return response.status_code == 200 and any(r["source"] == source for r in response.json()["rows"])

    wait_until(reported, timeout=DEADLINE, what="the call in the tenant's report")
    body = report(service, tenant).json()
    assert body["rows"] == [
        {
            "source": source,
            "medium": "email",
            "campaign": "spring",
            "calls": 1,
            "unique_callers": 1,
            "answered": 0,
            "first_time_callers": 1,
            "avg_duration_seconds": None,
        }
    ]
    assert body["totals"]["calls"] == 1

    mine = httpx.get(f"{service.url}/v1/calls/{call_id}", headers=tenant.headers, timeout=10)
    assert mine.status_code == 200
    assert mine.json()["payload"]["session"]["source"] == source

    # Tenant isolation: the other tenant sees neither the row nor the call.
    theirs = report(service, other)
    assert theirs.status_code == 200
    assert theirs.json()["rows"] == []
    assert theirs.json()["totals"]["calls"] == 0
    assert (
        httpx.get(f"{service.url}/v1/calls/{call_id}", headers=other.headers, timeout=10).status_code == 404
    )


def test_a_status_change_makes_a_new_version_and_replayed_duplicates_leave_one_row(
    service: ServiceProcess,
    producer: EventProducer,
    attributed: AttributedCalls,
    clickhouse: Client,
    database: str,
) -> None:
    tenant = Tenant(producer)
    source = unique("radio")
    lease, call = publish_lease_and_call(producer, tenant, source)
    call_id = call.payload.call_id
    wait_until(
        lambda: attributed.attributed_to(call_id, source), timeout=DEADLINE, what="the attributed call"
    )
    attributed_version = attributed.latest(call_id)
    assert attributed_version is not None
    version = attributed_version.payload.version

    completed = call.payload.model_copy(
        update={
            "status": CallStatus.COMPLETED,
            "answered": True,
            "duration_seconds": 42,
            "sequence_number": 3,
        }
    )
    status = CallStatusChanged(
        event_id=event_id_for("CallStatusChanged", call_id, 3),
        occurred_at=NOW + timedelta(minutes=3),
        recorded_at=NOW + timedelta(minutes=3),
        tenant_id=tenant.tenant_id,
        site_id="site-1",
        payload=completed,
    )
    producer.publish(CALLS, completed.tracking_number, status, wait=True)
    wait_until(
        lambda: (
            final_rows(clickhouse, database, tenant, call_id) == [(version + 1, "dynamic", source, True, 42)]
        ),
        timeout=DEADLINE,
        what="the status version in ClickHouse",
    )

    wait_until(
        lambda: attributed.version_of(call_id) == version + 1,
        timeout=DEADLINE,
        what="the status version on attributed-calls",
    )
    latest = attributed.latest(call_id)
    assert latest is not None

    # A replay: the same facts again, then a new call on the same number (same partition) as a marker
    # that the replayed records before it were projected.
    number = completed.tracking_number
    producer.publish(LEASES, lease.payload.pool_id, lease, wait=True)
    producer.publish(CALLS, number, call, wait=True)
    producer.publish(CALLS, number, status, wait=True)
    marker = call_started(tenant, call_facts(number))
    producer.publish(CALLS, number, marker, wait=True)
    # A replayed join re-publishes the same version with the same id; only its recorded_at differs.
    replayed = latest.model_copy(update={"recorded_at": latest.recorded_at + timedelta(seconds=1)})
    producer.publish(ATTRIBUTED_CALLS, call_id, replayed, wait=True)

    def count(sql: str, **extra: str) -> int:
        params = {"t": tenant.tenant_id, "c": call_id, "m": marker.payload.call_id, **extra}
        return int(clickhouse.execute(sql, params)[0][0])

    # Without FINAL: the last record of the call on the topic is stored (the replayed copy, or a repeat
    # of the same version the join re-sends when it sees facts it already folded); a merge keeps the
    # last inserted row of a version, so that row stays.
    def projected_last_record() -> bool:
        last = attributed.last_record(call_id).recorded_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return (
            count(
                f"SELECT count() FROM {database}.attributed_calls WHERE tenant_id = %(t)s"
                " AND call_id = %(c)s AND recorded_at = toDateTime64(%(r)s, 3, 'UTC')",
                r=last,
            )
            >= 1
        )

    wait_until(projected_last_record, timeout=DEADLINE, what="the call's last record stored")
    marker_rows = f"SELECT count() FROM {database}.calls WHERE tenant_id = %(t)s AND call_id = %(m)s"
    wait_until(lambda: count(marker_rows) == 1, timeout=DEADLINE, what="the marker call stored")

    assert final_rows(clickhouse, database, tenant, call_id) == [(version + 1, "dynamic", source, True, 42)]
    assert count(f"SELECT count() FROM {database}.calls FINAL WHERE tenant_id = %(t)s") == 3
    assert count(f"SELECT count() FROM {database}.leases FINAL WHERE tenant_id = %(t)s") == 1
    # The replayed facts changed no answer, so the join published no further version of the call.
    assert [e.payload.version for e in attributed.of(call_id)] == list(range(1, version + 2))


def test_an_undecodable_call_record_is_dead_lettered_and_the_next_call_is_still_attributed(
    service: ServiceProcess,
    producer: EventProducer,
    attributed: AttributedCalls,
    kafka_bootstrap: str,
) -> None:
    tenant = Tenant(producer)
    poison = f"not an event {secrets.token_hex(8)}".encode()
    number = random_number()
    producer.produce_raw(CALLS, number, poison)
    producer.flush()
    source = unique("billboard")
    _, call = publish_lease_and_call(producer, tenant, source)

    wait_until(
        lambda: attributed.attributed_to(call.payload.call_id, source),
        timeout=DEADLINE,
        what="the call after the poison record",
    )

    reader = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique("dlq-reader")})
    reader.assign([TopicPartition(DEAD_LETTERS.name, 0, OFFSET_BEGINNING)])
    found: list[dict[str, bytes]] = []

    def dead_lettered() -> bool:
        for msg in reader.consume(num_messages=500, timeout=0.5):
            if msg.error() is None and msg.value() == poison:
                found.append(dict(msg.headers() or []))
        return bool(found)

    try:
        wait_until(dead_lettered, timeout=DEADLINE, what="the poison record on dead-letters")
    finally:
        reader.close()
    headers = found[0]
    assert headers["ctrack-dlq-source-topic"] == CALLS.name.encode()
    assert b"value is not JSON" in headers["ctrack-dlq-reason"]
