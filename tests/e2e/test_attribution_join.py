"""End to end through the join: Twilio webhooks -> `calls` -> the faust join -> `attributed-calls` -> ClickHouse.

Lease facts are produced straight onto `leases`, after the call and twice, and the
provider's webhooks are delivered twice: the join must still give one answer per
version, the right one, and ClickHouse one row per call. A second attribution
process, restarted mid-stream, must publish exactly the same versions.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
from clickhouse_driver import Client

from ctrack_common.events import LeaseGranted, LeaseGrantedPayload, SessionSnapshot, event_id_for
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import LEASES
from ctrack_stack.testing import Infra, start_service, wait_until
from support.attributed_calls import AttributedCallsLog
from support.system import TWILIO_AUTH_TOKEN, System, Tenant
from support.twilio_client import TwilioWebhookClient

DEADLINE = 60


@pytest.fixture
def producer(infra: Infra) -> Iterator[EventProducer]:
    producer = EventProducer(infra.kafka_bootstrap, client_id="e2e-join")
    yield producer
    producer.close()


@pytest.fixture
def published(infra: Infra) -> Iterator[AttributedCallsLog]:
    with AttributedCallsLog(infra.kafka_bootstrap) as log:
        yield log


@pytest.fixture
def clickhouse(infra: Infra) -> Iterator[Client]:
    client = Client(host="127.0.0.1", port=infra.clickhouse_port)
    yield client
    client.disconnect()


def lease_for(tenant: Tenant, number: str, source: str) -> LeaseGranted:
    """A lease that began five minutes ago: the call made now falls inside it."""
    now = datetime.now(UTC).replace(microsecond=0)
    lease_id = f"lease-{uuid.uuid4().hex}"
    return LeaseGranted(
        event_id=event_id_for("LeaseGranted", lease_id),
        occurred_at=now - timedelta(minutes=5),
        recorded_at=now,
        tenant_id=tenant.tenant_id,
        site_id=tenant.site_id,
        payload=LeaseGrantedPayload(
            lease_id=lease_id,
            pool_id="pool-e2e-join",
            number=number,
            visitor_id=f"visitor-{uuid.uuid4().hex}",
            visit_id=f"visit-{uuid.uuid4().hex}",
            expires_at=now + timedelta(minutes=10),
            session=SessionSnapshot(source=source, medium="cpc", campaign="join"),
        ),
    )


def ring(twilio: TwilioWebhookClient, call_sid: str, caller: str, number: str) -> str:
    """The incoming-call webhook; returns the TwiML answer (it names the status callback)."""
    answer = twilio.incoming_call(call_sid, caller, number)
    assert answer.status_code == 200, answer.text
    return answer.text


def complete(
    twilio: TwilioWebhookClient, system: System, twiml: str, *, call_sid: str, caller: str, to: str
) -> None:
    start = twiml.index('statusCallback="') + len('statusCallback="')
    path = twiml[start : twiml.index('"', start)].replace("&amp;", "&").removeprefix(system.ingest.url)
    response = twilio.status(
        path,
        {
            "CallSid": "CA" + uuid.uuid5(uuid.NAMESPACE_URL, call_sid).hex,
            "ParentCallSid": call_sid,
            "From": caller,
            "To": to,
            "CallStatus": "completed",
            "CallDuration": "31",
            "Timestamp": format_datetime(datetime.now(UTC)),
            "SequenceNumber": "3",
            "CallbackSource": "call-progress-events",
        },
    )
    assert response.status_code in (200, 204), response.text


def final_rows(clickhouse: Client, database: str, call_id: str) -> list[tuple[object, ...]]:
    return clickhouse.execute(
        f"SELECT version, classification, source, answered FROM {database}.attributed_calls FINAL"
        " WHERE call_id = %(c)s",
        {"c": call_id},
    )


def test_a_lease_arriving_after_its_call_and_duplicated_webhooks_give_one_right_answer_per_version(
    system: System,
    tenant: Tenant,
    producer: EventProducer,
    published: AttributedCallsLog,
    clickhouse: Client,
) -> None:
    twilio = TwilioWebhookClient(system.ingest.url, TWILIO_AUTH_TOKEN)
    number, caller, call_sid = tenant.pool_numbers[0], "+14155550142", "CA" + uuid.uuid4().hex
    call_id = f"twilio:{call_sid}"
    source = f"join-{secrets.token_hex(3)}"

    # Reordered: the call rings before the join has seen the lease that covers it.
    twiml = ring(twilio, call_sid, caller, number)
    lease = lease_for(tenant, number, source)
    producer.publish(LEASES, lease.payload.pool_id, lease, wait=True)
    wait_until(lambda: published.versions(call_id) == [1], timeout=DEADLINE, what="the first version")
    first = published.latest(call_id)
    assert first is not None
    # Inside grace the unmatched call waited for its lease: no wrong answer was published first.
    assert first.payload.classification == "dynamic"
    assert first.payload.session is not None and first.payload.session.source == source
    assert first.payload.call.status == "ringing"

    # Duplicates: the same webhooks and the same lease fact again.
    ring(twilio, call_sid, caller, number)
    producer.publish(LEASES, lease.payload.pool_id, lease, wait=True)
    complete(twilio, system, twiml, call_sid=call_sid, caller=caller, to=tenant.business_number)
    complete(twilio, system, twiml, call_sid=call_sid, caller=caller, to=tenant.business_number)

    wait_until(
        lambda: final_rows(clickhouse, "ctrack", call_id) == [(2, "dynamic", source, True)],
        timeout=DEADLINE,
        what="the completed version in ClickHouse",
    )
    assert published.versions(call_id) == [1, 2]
    assert published.conflicts(call_id) == []
    latest = published.latest(call_id)
    assert latest is not None and latest.payload.visitor_id == lease.payload.visitor_id
    assert latest.payload.first_time_caller is True


def test_a_second_join_restarted_mid_stream_publishes_exactly_the_same_versions(
    system: System,
    tenant: Tenant,
    producer: EventProducer,
    published: AttributedCallsLog,
    tmp_path: Path,
) -> None:
    env = {
        **system.env,
        "CONSUMER_GROUP_PREFIX": f"attribution-e2e-{secrets.token_hex(4)}",
        "CLICKHOUSE_DATABASE": f"ctrack_join_{secrets.token_hex(4)}",
    }
    twilio = TwilioWebhookClient(system.ingest.url, TWILIO_AUTH_TOKEN)
    first_number, second_number = tenant.pool_numbers[1], tenant.pool_numbers[2]
    caller = "+14155550177"
    sids = ["CA" + uuid.uuid4().hex, "CA" + uuid.uuid4().hex]
    calls = [f"twilio:{sid}" for sid in sids]
    sources = [f"restart-{secrets.token_hex(3)}", f"restart-{secrets.token_hex(3)}"]

    second = start_service("attribution", env, tmp_path)
    try:
        lease = lease_for(tenant, first_number, sources[0])
        producer.publish(LEASES, lease.payload.pool_id, lease, wait=True)
        twiml = ring(twilio, sids[0], caller, first_number)
        wait_until(lambda: published.versions(calls[0]) == [1], timeout=DEADLINE, what="the first call")
    finally:
        second.stop()

    # While the second join is down: the first call completes, the same caller calls another number
    # (its lease arrives after the call).
    complete(twilio, system, twiml, call_sid=sids[0], caller=caller, to=tenant.business_number)
    ring(twilio, sids[1], caller, second_number)
    later = lease_for(tenant, second_number, sources[1])
    producer.publish(LEASES, later.payload.pool_id, later, wait=True)

    restarted = start_service("attribution", env, tmp_path)
    try:
        wait_until(
            lambda: published.versions(calls[0]) == [1, 2] and published.versions(calls[1]) == [1],
            timeout=DEADLINE,
            what="both calls' versions",
        )

        def restarted_published() -> bool:
            metrics = httpx.get(f"{restarted.url}/metrics", timeout=10).text
            return any(
                line.startswith("ctrack_attribution_versions_total{") and not line.endswith(" 0.0")
                for line in metrics.splitlines()
            )

        wait_until(restarted_published, timeout=DEADLINE, what="the restarted join to publish versions")
    finally:
        restarted.stop()

    for call_id in calls:
        assert published.conflicts(call_id) == [], (
            f"two answers under one version of {call_id}: "
            + "\n".join(e.payload.model_dump_json() for e in published.records(call_id))
        )
    repeat = published.latest(calls[1])
    assert repeat is not None
    assert repeat.payload.first_time_caller is False
    assert repeat.payload.session is not None and repeat.payload.session.source == sources[1]
    assert repeat.payload.first_touch is not None and repeat.payload.first_touch.source == sources[0]
    assert repeat.payload.last_touch is not None and repeat.payload.last_touch.source == sources[0]
