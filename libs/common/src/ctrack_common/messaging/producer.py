"""Producing events: an idempotent Kafka producer that speaks in events and topics."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence

from confluent_kafka import KafkaError, Message, Producer

from ctrack_common.events import Envelope, encode
from ctrack_common.logging import get_logger
from ctrack_common.metrics import EVENTS_PRODUCED
from ctrack_common.topics import Topic

__all__ = ["EventProducer", "PublishFailed"]

log = get_logger(__name__)


class PublishFailed(RuntimeError):
    """The broker did not acknowledge a record within the delivery timeout."""


class EventProducer:
    """Publishes events keyed as their topic declares; `wait=True` returns only once they are durable."""

    def __init__(self, bootstrap_servers: str, client_id: str, *, delivery_timeout_ms: int = 30000) -> None:
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                "client.id": client_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 2,
                "delivery.timeout.ms": delivery_timeout_ms,
            }
        )
        self._lock = threading.Lock()
        self._failures: list[str] = []
        self._poller: threading.Thread | None = None
        self._closing = threading.Event()

    def publish(self, topic: Topic, key: str, event: Envelope, *, wait: bool = False) -> None:
        self.publish_many(topic, [(key, event)], wait=wait)

    def publish_many(
        self, topic: Topic, keyed: Sequence[tuple[str, Envelope]], *, wait: bool = False
    ) -> None:
        for key, event in keyed:
            self.produce_raw(topic, key, encode(event))
            EVENTS_PRODUCED.labels(topic.name, event.event_type).inc()
        if wait:
            self.flush()

    async def publish_durably(self, topic: Topic, key: str, event: Envelope) -> None:
        """Publish one event and return once the broker acknowledged it, without blocking the event loop.

        Unlike `publish(wait=True)` (a flush that waits for everything in flight), each caller waits for
        its own record only, so many concurrent requests share the producer's batches.
        """
        self._start_poller()
        loop = asyncio.get_running_loop()
        delivered: asyncio.Future[None] = loop.create_future()

        def settle(reason: str | None) -> None:
            if delivered.done():
                return
            if reason is None:
                delivered.set_result(None)
            else:
                delivered.set_exception(PublishFailed(reason))

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            self._on_delivery(err, msg)
            reason = None if err is None else f"{msg.topic()}: {err.str()}"
            loop.call_soon_threadsafe(settle, reason)

        self._produce(topic, key, encode(event), (), on_delivery)
        EVENTS_PRODUCED.labels(topic.name, event.event_type).inc()
        await delivered

    def produce_raw(
        self,
        topic: Topic,
        key: str | bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        self._produce(topic, key, value, headers, self._on_delivery)
        self._producer.poll(0)

    def _produce(
        self,
        topic: Topic,
        key: str | bytes | None,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        on_delivery: Callable[[KafkaError | None, Message], None],
    ) -> None:
        while True:
            try:
                self._producer.produce(
                    topic.name, value=value, key=key, headers=list(headers), on_delivery=on_delivery
                )
                return
            except BufferError:
                self._producer.poll(0.1)  # local queue full: let deliveries drain, then retry

    def _start_poller(self) -> None:
        # Delivery callbacks run inside poll(): one daemon thread serves them for `publish_durably`.
        with self._lock:
            if self._poller is None:
                self._poller = threading.Thread(target=self._poll_forever, name="producer-poll", daemon=True)
                self._poller.start()

    def _poll_forever(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.05)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until everything produced so far is acknowledged; raise if any record failed."""
        remaining = self._producer.flush(timeout)
        with self._lock:
            failures, self._failures = self._failures, []
        if remaining:
            raise PublishFailed(f"{remaining} record(s) not acknowledged within {timeout}s")
        if failures:
            raise PublishFailed("; ".join(failures))

    def reachable(self, timeout: float = 2.0) -> bool:
        try:
            self._producer.list_topics(timeout=timeout)
        except Exception:  # noqa: BLE001 - any failure means "not reachable" for readiness
            return False
        return True

    def close(self) -> None:
        self._closing.set()
        self._producer.flush(10)

    def _on_delivery(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            reason = f"{msg.topic()}: {err.str()}"
            log.error("publish_failed", reason=reason)
            with self._lock:
                self._failures.append(reason)
