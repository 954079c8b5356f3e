"""A record no one can read goes to the dead-letter topic with its reason and bytes; the consumer goes on."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from ctrack_common.events import SessionSnapshot, VisitStarted, VisitStartedPayload, encode, event_id_for
from ctrack_common.messaging import EventConsumer, EventProducer, Record, RejectedEvent
from ctrack_common.topics import DEAD_LETTERS, VISITS
from ctrack_stack.testing import wait_until

pytestmark = pytest.mark.integration


def a_visit(tag: str) -> VisitStarted:
    now = datetime.now(UTC)
    return VisitStarted(
        event_id=event_id_for("dlq-test", tag),
        occurred_at=now,
        recorded_at=now,
        tenant_id=f"tenant-{tag}",
        site_id="site",
        payload=VisitStartedPayload(
            visit_id=tag,
            visitor_id=tag,
            pool_id=f"pool-{tag}",
            page_url="https://x.example/",
            session=SessionSnapshot(),
        ),
    )


def dead_letters_with_value(bootstrap: str, value: bytes, group: str) -> list[dict[str, bytes]]:
    """Dead letters of `value` written by consumer group `group` (every group reading a topic dead-letters)."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"t-{uuid.uuid4()}", "enable.auto.commit": False}
    )
    try:
        consumer.assign([TopicPartition(DEAD_LETTERS.name, 0, OFFSET_BEGINNING)])
        _, high = consumer.get_watermark_offsets(TopicPartition(DEAD_LETTERS.name, 0), timeout=10)
        found = []
        position = 0
        deadline = time.monotonic() + 30
        while position < high and time.monotonic() < deadline:
            for msg in consumer.consume(500, timeout=1):
                position = int(msg.offset() or 0) + 1
                headers = dict(msg.headers() or [])
                if (
                    msg.error() is None
                    and msg.value() == value
                    and headers["ctrack-dlq-consumer-group"] == group.encode()
                ):
                    found.append(headers)
        return found
    finally:
        consumer.close()


@pytest.fixture
def producer(kafka_bootstrap: str) -> Iterator[EventProducer]:
    producer = EventProducer(kafka_bootstrap, "dlq-test")
    yield producer
    producer.close()


def test_undecodable_and_rejected_records_are_dead_lettered_and_the_consumer_keeps_going(
    kafka_bootstrap: str, producer: EventProducer
) -> None:
    tag = uuid.uuid4().hex
    garbage = f"not an event {tag}".encode()
    rejected = a_visit(f"{tag}-rejected")
    good = a_visit(f"{tag}-good")
    handled: list[str] = []
    lock = threading.Lock()

    def handle(records: list[Record]) -> None:
        for record in records:
            if record.event.tenant_id == rejected.tenant_id:
                raise RejectedEvent("pool is unknown")
            with lock:
                handled.append(record.event.tenant_id)

    group = f"dlq-test-{tag}"
    consumer = EventConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        topics=[VISITS],
        handle=handle,
        dead_letters=producer,
    )
    pool = f"pool-{tag}"
    producer.produce_raw(VISITS, pool, garbage)
    producer.publish(VISITS, pool, rejected)
    producer.publish(VISITS, pool, good, wait=True)
    consumer.start()
    try:
        wait_until(lambda: good.tenant_id in handled, timeout=60, what="the good record after the bad ones")
    finally:
        consumer.stop()

    assert rejected.tenant_id not in handled
    garbage_letters = dead_letters_with_value(kafka_bootstrap, garbage, group)
    assert len(garbage_letters) == 1
    assert garbage_letters[0]["ctrack-dlq-source-topic"] == b"visits"
    assert garbage_letters[0]["ctrack-dlq-reason"].startswith(b"value is not JSON")
    rejected_letters = dead_letters_with_value(kafka_bootstrap, encode(rejected), group)
    assert [h["ctrack-dlq-reason"] for h in rejected_letters] == [b"rejected by handler: pool is unknown"]
