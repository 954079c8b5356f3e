"""The Kafka broker that `ctrack_stack` launches is a real, durable broker.

The module starts its own broker (temporary data directory, ports 19092/19093) through the same
library `ctrack up` uses, so it checks the launcher as much as the broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from ctrack_common.topics import ALL_TOPICS
from ctrack_stack import KafkaBroker, StackSettings, create_topics
from ctrack_stack.processes import wait_until

PORT_OFFSET = 10000
DEADLINE_SECONDS = 30.0


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    settings = StackSettings.isolated(tmp_path_factory.mktemp("kafka-stack"), port_offset=PORT_OFFSET)
    launched = KafkaBroker(settings)
    launched.start_and_wait()
    yield launched
    launched.stop()


def _new_topic(bootstrap: str, partitions: int = 1) -> str:
    name = f"stack-test-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, 1)])[name].result(timeout=DEADLINE_SECONDS)
    return name


def _produce(bootstrap: str, topic: str, records: list[tuple[str, str]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
    for key, value in records:
        producer.produce(topic, key=key.encode(), value=value.encode())
    assert producer.flush(DEADLINE_SECONDS) == 0, "records still unacknowledged after the deadline"


def _consume(bootstrap: str, topic: str, expected: int) -> list[tuple[str, str]]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"stack-test-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[tuple[str, str]] = []

    def all_received() -> bool:
        message = consumer.poll(0.5)
        if message is not None and message.error() is None:
            received.append(((message.key() or b"").decode(), (message.value() or b"").decode()))
        return len(received) >= expected

    try:
        wait_until(all_received, timeout=DEADLINE_SECONDS, what=f"{expected} records from {topic}")
    finally:
        consumer.close()
    return received


def test_a_produced_record_is_consumed_back(broker: KafkaBroker) -> None:
    topic = _new_topic(broker.bootstrap)
    records = [(f"key-{n}", f"value-{n}") for n in range(5)]

    _produce(broker.bootstrap, topic, records)

    assert _consume(broker.bootstrap, topic, len(records)) == records


def test_records_and_topics_survive_a_broker_restart(broker: KafkaBroker) -> None:
    topic = _new_topic(broker.bootstrap, partitions=3)
    records = [(f"visitor-{n}", f"page-view-{n}") for n in range(30)]
    _produce(broker.bootstrap, topic, records)

    broker.stop()
    broker.start_and_wait()

    metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=DEADLINE_SECONDS)
    assert len(metadata.topics[topic].partitions) == 3
    assert sorted(_consume(broker.bootstrap, topic, len(records))) == sorted(records)


def test_the_topic_registry_is_created_once_and_then_left_alone(broker: KafkaBroker) -> None:
    first = create_topics(broker.bootstrap)
    second = create_topics(broker.bootstrap)

    metadata = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=DEADLINE_SECONDS)
    assert sorted(first) == sorted(topic.name for topic in ALL_TOPICS)
    assert second == []
    for topic in ALL_TOPICS:
        assert len(metadata.topics[topic.name].partitions) == topic.partitions
