"""Reading a topic as a log: replay to the end (state rebuilds) and follow it (read models)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from ctrack_common.events import Envelope, UndecodableEvent, decode
from ctrack_common.logging import get_logger
from ctrack_common.messaging.batches import next_batch
from ctrack_common.topics import Topic

__all__ = ["LogFollower", "replay"]

log = get_logger(__name__)


def _reader(bootstrap_servers: str) -> Consumer:
    return Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"reader-{uuid.uuid4()}",  # never commits: a reader owns no offsets
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )


_SETTLING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
    }
)


def _retriable(error: BaseException) -> bool:
    if not isinstance(error, KafkaException):
        return False
    kafka_error: KafkaError = error.args[0]
    return kafka_error.retriable() or kafka_error.code() in _SETTLING


# A topic created a moment ago may not have a known leader yet (NOT_LEADER_FOR_PARTITION): ask again.
@retry(
    retry=retry_if_exception(_retriable),
    wait=wait_exponential(multiplier=0.1, max=2),
    stop=stop_after_delay(30),
    reraise=True,
)
def _watermarks(consumer: Consumer, tp: TopicPartition) -> tuple[int, int]:
    low, high = consumer.get_watermark_offsets(tp, timeout=10)
    return low, high


def _partitions(consumer: Consumer, topic: Topic, only: Sequence[int] | None) -> list[TopicPartition]:
    metadata = consumer.list_topics(topic.name, timeout=10)
    numbers = sorted(metadata.topics[topic.name].partitions)
    return [TopicPartition(topic.name, p, OFFSET_BEGINNING) for p in numbers if only is None or p in only]


def replay(
    bootstrap_servers: str, topic: Topic, partitions: Sequence[int] | None = None, timeout: float = 120.0
) -> Iterator[Envelope]:
    """Every decodable event of `topic` (or of some partitions) up to the end as of the call."""
    consumer = _reader(bootstrap_servers)
    try:
        assignment = _partitions(consumer, topic, partitions)
        ends: dict[int, int] = {}
        for tp in assignment:
            low, high = _watermarks(consumer, tp)
            if high > low:
                ends[tp.partition] = high
        if not ends:
            return
        consumer.assign([tp for tp in assignment if tp.partition in ends])
        deadline = time.monotonic() + timeout
        while ends:
            if time.monotonic() > deadline:
                raise TimeoutError(f"replay of {topic.name} did not reach the end within {timeout}s")
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error() is not None:
                    continue
                partition, offset = int(msg.partition() or 0), int(msg.offset() or 0)
                if partition in ends and offset + 1 >= ends[partition]:
                    del ends[partition]
                try:
                    yield decode(msg.value(), topic)
                except UndecodableEvent as exc:
                    # The live consumer of this topic dead-letters it; a rebuild only skips it.
                    log.warning("replay_skipped_record", topic=topic.name, offset=offset, reason=exc.reason)
    finally:
        consumer.close()


class LogFollower:
    """Applies every event of some (usually compacted) topics, from the beginning, forever.

    Services build read models with it (tenants, sites, numbers...). `caught_up`
    is set once everything that existed at start has been applied. With `from_end`
    it skips what existed at start and applies only what comes after (`caught_up`
    is then set as soon as it is positioned): for processes that wait for answers.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topics: Sequence[Topic],
        apply: Callable[[Envelope], None],
        *,
        from_end: bool = False,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._from_end = from_end
        self._topics = {t.name: t for t in topics}
        self._apply = apply
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-follower", daemon=True)
        self.caught_up = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        consumer = _reader(self._bootstrap)
        try:
            assignment = [tp for t in self._topics.values() for tp in _partitions(consumer, t, None)]
            pending: dict[tuple[str, int], int] = {}
            for tp in assignment:
                low, high = _watermarks(consumer, tp)
                if self._from_end:
                    tp.offset = high
                elif high > low:
                    pending[(tp.topic, tp.partition)] = high
            consumer.assign(assignment)
            if not pending:
                self.caught_up.set()
            while not self._stop.is_set():
                for msg in next_batch(consumer, 500, wait=0.2):
                    error = msg.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            log.warning("follower_error", error=error.str())
                        continue
                    self._apply_one(str(msg.topic()), msg.value())
                    where = (str(msg.topic()), int(msg.partition() or 0))
                    if where in pending and int(msg.offset() or 0) + 1 >= pending[where]:
                        del pending[where]
                        if not pending:
                            self.caught_up.set()
        except Exception:
            log.exception("log_follower_crashed")
            raise
        finally:
            consumer.close()

    def _apply_one(self, topic_name: str, value: bytes | None) -> None:
        if value is None:
            return  # a tombstone: compaction's delete marker, nothing to apply
        try:
            event = decode(value, self._topics[topic_name])
        except UndecodableEvent as exc:
            log.warning("follower_skipped_record", topic=topic_name, reason=exc.reason)
            return
        self._apply(event)
