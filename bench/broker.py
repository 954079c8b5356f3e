"""The raw broker rate: what Kafka and our client library do with no service in between."""

from __future__ import annotations

import os
import threading
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

from ctrack_common.topics import Topic
from ctrack_stack.processes import wait_until
from ctrack_stack.topics_admin import create_topics

__all__ = ["raw_produce_consume_rate"]

# A benchmark-only topic, deliberately outside the platform's registry.
BENCH_TOPIC = Topic("bench-raw", key="any", description="make bench: raw broker rate")


def _end_offset(consumer: Consumer, partition: int) -> int:
    """The partition's end offset, once its leader is known (a new topic takes a moment)."""
    ends: list[int] = []

    def answered() -> bool:
        ends.append(consumer.get_watermark_offsets(TopicPartition(BENCH_TOPIC.name, partition), timeout=5)[1])
        return True

    wait_until(answered, timeout=30, what=f"the leader of {BENCH_TOPIC.name}[{partition}]")
    return ends[-1]


def raw_produce_consume_rate(bootstrap: str, messages: int, size: int) -> float:
    """Messages per second from the first produce to the last consume, producer and consumer overlapping.

    Same client settings as the services (idempotent producer, acks=all), values of `size` bytes.
    """
    create_topics(bootstrap, [BENCH_TOPIC])
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4()}", "enable.auto.commit": False}
    )
    partitions = consumer.list_topics(BENCH_TOPIC.name, timeout=10).topics[BENCH_TOPIC.name].partitions
    starts = []
    for number in partitions:  # start at the current end, so only this run's messages count
        starts.append(TopicPartition(BENCH_TOPIC.name, number, _end_offset(consumer, number)))
    consumer.assign(starts)
    received = 0
    done = threading.Event()

    def consume() -> None:
        nonlocal received
        while received < messages:
            received += sum(1 for m in consumer.consume(1000, timeout=0.5) if m.error() is None)
        done.set()

    producer = Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 2}
    )
    payload = os.urandom(size // 2).hex().encode()
    reader = threading.Thread(target=consume, daemon=True)
    started = time.perf_counter()
    reader.start()
    for i in range(messages):
        while True:
            try:
                producer.produce(BENCH_TOPIC.name, key=str(i % 64), value=payload)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    producer.flush(60)
    finished = done.wait(300)
    elapsed = time.perf_counter() - started
    consumer.close()
    if not finished:
        raise TimeoutError(f"only {received} of {messages} messages came back within 300 s")
    return messages / elapsed
