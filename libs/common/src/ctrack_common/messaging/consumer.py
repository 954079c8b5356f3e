"""Consuming events: a poll loop with at-least-once commits and dead-lettering.

A record that cannot be decoded, or that its handler rejects, is written to
the dead-letter topic with the reason and the original bytes; the consumer
then moves on. Offsets are stored only after a record is handled or
dead-lettered, so nothing is lost and nothing is silently dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition

from ctrack_common.events import Envelope, UndecodableEvent, decode
from ctrack_common.logging import get_logger
from ctrack_common.messaging.batches import next_batch
from ctrack_common.messaging.producer import EventProducer
from ctrack_common.metrics import DEAD_LETTERS, EVENTS_CONSUMED
from ctrack_common.topics import DEAD_LETTERS as DEAD_LETTER_TOPIC
from ctrack_common.topics import Topic

__all__ = ["EventConsumer", "Record", "RejectedEvent", "dead_letter_headers"]

log = get_logger(__name__)

PartitionsCallback = Callable[[list[TopicPartition]], None]


class RejectedEvent(Exception):
    """Raised by a handler for an event it can never process (it goes to the dead-letter topic)."""


@dataclass(frozen=True)
class Record:
    """A decoded event and where it came from."""

    topic: Topic
    partition: int
    offset: int
    key: str | None
    event: Envelope


def dead_letter_headers(
    topic: str | None, partition: int | None, offset: int | None, group_id: str, reason: str
) -> list[tuple[str, bytes]]:
    """Where a dead letter came from and why, as record headers (any client: confluent-kafka or faust)."""
    return [
        ("ctrack-dlq-reason", reason.encode()),
        ("ctrack-dlq-source-topic", str(topic).encode()),
        ("ctrack-dlq-source-partition", str(partition).encode()),
        ("ctrack-dlq-source-offset", str(offset).encode()),
        ("ctrack-dlq-consumer-group", group_id.encode()),
        ("ctrack-dlq-failed-at", datetime.now(UTC).isoformat().encode()),
    ]


class EventConsumer:
    """Runs `handle` over batches of decoded records from `topics` in a background thread.

    `handle` must be idempotent: after a crash the records since the last
    committed offset are delivered again.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: Sequence[Topic],
        handle: Callable[[list[Record]], None],
        dead_letters: EventProducer,
        on_assign: PartitionsCallback | None = None,
        on_revoke: PartitionsCallback | None = None,
        replay_from_beginning: bool = False,
        max_attempts: int = 5,
        batch_size: int = 500,
    ) -> None:
        self._topics = {t.name: t for t in topics}
        self._group_id = group_id
        self._handle = handle
        self._dead_letters = dead_letters
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._replay = replay_from_beginning
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                "group.id": group_id,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": True,
                "enable.auto.offset.store": False,
                "auto.commit.interval.ms": 1000,
                "partition.assignment.strategy": "range",
                "session.timeout.ms": 10000,
                "heartbeat.interval.ms": 1000,
            }
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"consumer-{group_id}", daemon=True)
        self.assigned = threading.Event()

    def start(self) -> None:
        self._consumer.subscribe(list(self._topics), on_assign=self._assigned, on_revoke=self._revoked)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _assigned(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._replay:
            for tp in partitions:
                tp.offset = OFFSET_BEGINNING
        if self._on_assign is not None:
            self._on_assign(partitions)
        consumer.assign(partitions)
        self.assigned.set()

    def _revoked(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._on_revoke is not None:
            self._on_revoke(partitions)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                messages = next_batch(self._consumer, self._batch_size, wait=0.2)
                if messages:
                    self._process(messages)
        except Exception:
            log.exception("consumer_loop_crashed", group=self._group_id)
            raise
        finally:
            self._consumer.close()

    def _process(self, messages: list[Message]) -> None:
        records: list[tuple[Message, Record]] = []
        for msg in messages:
            error = msg.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer_error", error=error.str())
                continue
            topic = self._topics[str(msg.topic())]
            try:
                event = decode(msg.value(), topic)
            except UndecodableEvent as exc:
                self._dead_letter(msg, exc.reason)
                continue
            key = msg.key()
            partition, offset = int(msg.partition() or 0), int(msg.offset() or 0)
            text_key = key.decode() if isinstance(key, bytes) else key
            records.append((msg, Record(topic, partition, offset, text_key, event)))
        if records:
            self._handle_batch(records)
        for msg in messages:
            if msg.error() is None:
                self._consumer.store_offsets(message=msg)

    def _handle_batch(self, records: list[tuple[Message, Record]]) -> None:
        try:
            self._handle([record for _, record in records])
        except RejectedEvent as exc:
            if len(records) == 1:  # the rejected record is known: never crash the loop over it
                self._dead_letter(records[0][0], f"rejected by handler: {exc}")
                return
            for single in records:  # isolate the record the handler rejects
                self._handle_one(single)
        except Exception:
            log.exception("batch_failed_retrying_one_by_one", group=self._group_id, size=len(records))
            for single in records:
                self._handle_one(single)
        else:
            for _, record in records:
                EVENTS_CONSUMED.labels(record.topic.name, record.event.event_type).inc()

    def _handle_one(self, single: tuple[Message, Record]) -> None:
        msg, record = single
        for attempt in range(1, self._max_attempts + 1):
            try:
                self._handle([record])
            except RejectedEvent as exc:
                self._dead_letter(msg, f"rejected by handler: {exc}")
                return
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered; never crashes the loop
                if attempt == self._max_attempts or self._stop.is_set():
                    self._dead_letter(msg, f"handler failed {attempt} times: {exc!r}")
                    return
                time.sleep(min(0.2 * 2**attempt, 5.0))  # noqa: TID251 - back off before retrying the same record
            else:
                EVENTS_CONSUMED.labels(record.topic.name, record.event.event_type).inc()
                return

    def _dead_letter(self, msg: Message, reason: str) -> None:
        log.warning(
            "dead_lettered", topic=msg.topic(), partition=msg.partition(), offset=msg.offset(), reason=reason
        )
        self._dead_letters.produce_raw(
            DEAD_LETTER_TOPIC,
            msg.topic(),
            msg.value(),
            dead_letter_headers(msg.topic(), msg.partition(), msg.offset(), self._group_id, reason),
        )
        self._dead_letters.flush()
        DEAD_LETTERS.labels(str(msg.topic())).inc()
