"""crm-sync as its own process against the real broker, delivering to a local Standard Webhooks receiver."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from crm_sync.domain.signing import webhook_id_for
from ctrack_common.config_view import api_key_digest
from ctrack_common.events import (
    CallAttributed,
    CallAttributedPayload,
    CallFacts,
    CallStatus,
    Classification,
    TenantConfigured,
    TenantConfiguredPayload,
    WebhookAbandoned,
    WebhookDelivered,
    event_id_for,
)
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import ATTRIBUTED_CALLS, CONFIG_TENANTS, DEAD_LETTERS, WEBHOOK_DELIVERIES, Topic
from ctrack_stack.testing import ServiceProcess, start_service, wait_until

FAST_RETRIES = {
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_RETRY_INITIAL_SECONDS": "0.2",
    "WEBHOOK_RETRY_MAX_INTERVAL_SECONDS": "0.5",
    "WEBHOOK_MAX_RETRY_SECONDS": "120",
}


class Tenant:
    def __init__(self, producer: EventProducer) -> None:
        self.id = f"tenant-{uuid.uuid4().hex[:12]}"
        self.api_key = secrets.token_urlsafe(24)
        now = datetime.now(UTC)
        event = TenantConfigured(
            event_id=event_id_for(self.id),
            occurred_at=now,
            recorded_at=now,
            tenant_id=self.id,
            payload=TenantConfiguredPayload(name="Agency", api_key_sha256=(api_key_digest(self.api_key),)),
        )
        producer.publish(CONFIG_TENANTS, self.id, event, wait=True)

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.api_key}"}


def attributed_call(tenant_id: str, version: int = 1) -> CallAttributed:
    call_id = f"twilio:CA{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    facts = CallFacts(
        call_id=call_id,
        provider="twilio",
        provider_call_id=call_id.removeprefix("twilio:"),
        caller_number="+14158675310",
        tracking_number="+14155550101",
        started_at=now,
        status=CallStatus.COMPLETED,
        answered=True,
        duration_seconds=42,
    )
    payload = CallAttributedPayload(
        call_id=call_id,
        version=version,
        call=facts,
        classification=Classification.UNATTRIBUTED,
        unattributed_reason="no lease",
        confidence=0.0,
        first_time_caller=True,
    )
    return CallAttributed(
        event_id=event_id_for(call_id, version),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        payload=payload,
    )


def outcomes(bootstrap: str, webhook_id: str) -> list[WebhookDelivered | WebhookAbandoned]:
    return [
        e
        for e in replay(bootstrap, WEBHOOK_DELIVERIES)
        if isinstance(e, WebhookDelivered | WebhookAbandoned) and e.payload.webhook_id == webhook_id
    ]


def raw_records(bootstrap: str, topic: Topic) -> list[Message]:
    """Every record of `topic` (values and headers as stored), up to its end now."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"reader-{uuid.uuid4()}", "enable.auto.commit": False}
    )
    try:
        partitions = sorted(consumer.list_topics(topic.name, timeout=10).topics[topic.name].partitions)
        ends = {
            p: consumer.get_watermark_offsets(TopicPartition(topic.name, p), timeout=10)[1]
            for p in partitions
        }
        consumer.assign([TopicPartition(topic.name, p, OFFSET_BEGINNING) for p in partitions])
        records: list[Message] = []
        deadline = time.monotonic() + 30
        while any(
            consumer.position([TopicPartition(topic.name, p)])[0].offset < end
            for p, end in ends.items()
            if end
        ):
            assert time.monotonic() < deadline, f"reading {topic.name} did not reach its end"
            records.extend(m for m in consumer.consume(500, timeout=0.5) if m.error() is None)
        return records
    finally:
        consumer.close()


@pytest.fixture
def producer(kafka_bootstrap: str) -> EventProducer:
    return EventProducer(kafka_bootstrap, "crm-sync-test")


@pytest.fixture
def tenant(producer: EventProducer) -> Tenant:
    return Tenant(producer)


StartCrmSync = Callable[..., ServiceProcess]


@pytest.fixture
def crm_sync(kafka_bootstrap: str, tmp_path: Path) -> Iterator[StartCrmSync]:
    """Starts crm-sync processes (one consumer group per test); stops whatever is still running."""
    group = f"crm-sync-test-{uuid.uuid4().hex[:8]}"
    started: list[ServiceProcess] = []

    def start(**overrides: str) -> ServiceProcess:
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CONSUMER_GROUP": group,
            **FAST_RETRIES,
            **overrides,
        }
        process = start_service("crm_sync", env, tmp_path)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def add_endpoint(service: ServiceProcess, tenant: Tenant, receiver: Any) -> str:
    response = httpx.post(
        f"{service.url}/v1/webhook-endpoints", json={"url": receiver.url}, headers=tenant.auth
    )
    assert response.status_code == 201, response.text
    created = response.json()
    receiver.secret = created["secret"]
    return str(created["endpoint_id"])


def produce(producer: EventProducer, call: CallAttributed) -> None:
    producer.publish(ATTRIBUTED_CALLS, call.payload.call_id, call, wait=True)


def test_an_attributed_call_is_delivered_once_with_a_valid_signature(
    kafka_bootstrap: str, producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    service = crm_sync()
    endpoint_id = add_endpoint(service, tenant, receiver)
    call = attributed_call(tenant.id)
    webhook_id = webhook_id_for(endpoint_id, call.payload.call_id, 1)
    produce(producer, call)
    wait_until(lambda: receiver.accepted[webhook_id] == 1, timeout=60, what="the webhook to be accepted")
    wait_until(lambda: len(outcomes(kafka_bootstrap, webhook_id)) == 1, timeout=30, what="WebhookDelivered")
    produce(producer, call)  # the same version again (an upstream replay) is not sent again
    later = attributed_call(tenant.id)
    produce(producer, later)
    later_id = webhook_id_for(endpoint_id, later.payload.call_id, 1)
    wait_until(lambda: receiver.accepted[later_id] == 1, timeout=60, what="the next call's webhook")
    assert receiver.accepted[webhook_id] == 1 and receiver.unverified == 0
    assert receiver.bodies[webhook_id]["payload"]["call_id"] == call.payload.call_id
    assert isinstance(outcomes(kafka_bootstrap, webhook_id)[0], WebhookDelivered)


def test_endpoints_are_listed_masked_and_isolated_per_tenant(
    producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    service = crm_sync()
    endpoint_id = add_endpoint(service, tenant, receiver)
    other = Tenant(producer)
    wait_until(
        lambda: httpx.get(f"{service.url}/v1/webhook-endpoints", headers=other.auth).status_code == 200,
        timeout=30,
        what="the other tenant's API key to be known",
    )
    listed = httpx.get(f"{service.url}/v1/webhook-endpoints", headers=tenant.auth).json()["endpoints"]
    assert [(e["endpoint_id"], e["url"]) for e in listed] == [(endpoint_id, receiver.url)]
    assert listed[0]["secret"] != receiver.secret and listed[0]["secret"].startswith("whsec_...")
    assert httpx.get(f"{service.url}/v1/webhook-endpoints", headers=other.auth).json() == {"endpoints": []}
    assert (
        httpx.delete(f"{service.url}/v1/webhook-endpoints/{endpoint_id}", headers=other.auth).status_code
        == 404
    )
    assert (
        httpx.delete(f"{service.url}/v1/webhook-endpoints/{endpoint_id}", headers=tenant.auth).status_code
        == 204
    )
    assert httpx.get(f"{service.url}/v1/webhook-endpoints", headers=tenant.auth).json() == {"endpoints": []}
    assert httpx.get(f"{service.url}/v1/webhook-endpoints").status_code == 401
    bad = httpx.post(f"{service.url}/v1/webhook-endpoints", json={"url": "not a url"}, headers=tenant.auth)
    assert bad.status_code == 422 and "url" in bad.json()["error"]


def test_a_failing_receiver_gets_retries_with_the_same_webhook_id_and_accepts_once(
    kafka_bootstrap: str, producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    service = crm_sync()
    endpoint_id = add_endpoint(service, tenant, receiver)
    receiver.fail_first = 3
    call = attributed_call(tenant.id)
    webhook_id = webhook_id_for(endpoint_id, call.payload.call_id, 1)
    produce(producer, call)
    wait_until(lambda: len(outcomes(kafka_bootstrap, webhook_id)) == 1, timeout=60, what="WebhookDelivered")
    assert receiver.accepted[webhook_id] == 1
    assert receiver.attempts_for(webhook_id) == 4
    assert outcomes(kafka_bootstrap, webhook_id)[0].payload.attempts == 4


def test_a_restart_while_a_retry_is_pending_still_delivers_exactly_once(
    kafka_bootstrap: str, producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    first = crm_sync()
    endpoint_id = add_endpoint(first, tenant, receiver)
    receiver.always_fail = True
    call = attributed_call(tenant.id)
    webhook_id = webhook_id_for(endpoint_id, call.payload.call_id, 1)
    produce(producer, call)
    wait_until(lambda: receiver.attempts_for(webhook_id) >= 2, timeout=60, what="retries to be under way")
    first.stop()
    assert receiver.accepted[webhook_id] == 0
    receiver.always_fail = False
    crm_sync()
    wait_until(
        lambda: len(outcomes(kafka_bootstrap, webhook_id)) == 1, timeout=90, what="delivery after restart"
    )
    later = attributed_call(tenant.id)
    produce(producer, later)
    later_id = webhook_id_for(endpoint_id, later.payload.call_id, 1)
    wait_until(lambda: receiver.accepted[later_id] == 1, timeout=60, what="the next call's webhook")
    assert receiver.accepted[webhook_id] == 1


def test_a_webhook_that_never_succeeds_is_dead_lettered_with_the_reason(
    kafka_bootstrap: str, producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    service = crm_sync(WEBHOOK_MAX_RETRY_SECONDS="2")
    endpoint_id = add_endpoint(service, tenant, receiver)
    receiver.always_fail = True
    call = attributed_call(tenant.id)
    webhook_id = webhook_id_for(endpoint_id, call.payload.call_id, 1)
    produce(producer, call)

    def dead_letters() -> list[Message]:
        return [
            m
            for m in raw_records(kafka_bootstrap, DEAD_LETTERS)
            if call.payload.call_id.encode() in (m.value() or b"")
        ]

    wait_until(lambda: len(dead_letters()) == 1, timeout=60, what="the dead-letter record")
    headers = dict(dead_letters()[0].headers() or [])
    assert headers["ctrack-dlq-source-topic"] == ATTRIBUTED_CALLS.name.encode()
    assert b"gave up" in headers["ctrack-dlq-reason"] and b"503" in headers["ctrack-dlq-reason"]
    assert dead_letters()[0].value() == call.model_dump_json().encode()
    (abandoned,) = outcomes(kafka_bootstrap, webhook_id)
    assert isinstance(abandoned, WebhookAbandoned) and abandoned.payload.status_code == 503
    assert receiver.accepted[webhook_id] == 0


def skipped_blocked_calls(service: ServiceProcess) -> float:
    metrics = httpx.get(f"{service.url}/metrics").text
    lines = [
        line for line in metrics.splitlines() if line.startswith("crm_sync_blocked_calls_skipped_total ")
    ]
    return float(lines[0].split()[1]) if lines else 0.0


def test_a_call_from_a_blocked_caller_is_never_delivered_and_the_skip_is_counted(
    producer: EventProducer, tenant: Tenant, receiver: Any, crm_sync: StartCrmSync
) -> None:
    service = crm_sync()
    endpoint_id = add_endpoint(service, tenant, receiver)
    blocked = attributed_call(tenant.id)
    facts = blocked.payload.call.model_copy(update={"blocked": True, "block_reason": "robocall"})
    payload = blocked.payload.model_copy(update={"classification": Classification.BLOCKED, "call": facts})
    blocked = blocked.model_copy(update={"payload": payload})
    produce(producer, blocked)
    normal = attributed_call(tenant.id)
    produce(producer, normal)
    # The counter spans every tenant on the topic (earlier tests may have left blocked calls): at least ours.
    wait_until(lambda: skipped_blocked_calls(service) >= 1, timeout=90, what="the blocked call to be skipped")
    normal_id = webhook_id_for(endpoint_id, normal.payload.call_id, 1)
    wait_until(lambda: receiver.accepted[normal_id] == 1, timeout=60, what="the other call's webhook")
    assert receiver.attempts_for(webhook_id_for(endpoint_id, blocked.payload.call_id, 1)) == 0
    assert len(receiver.attempts) == 1
