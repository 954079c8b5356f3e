"""Publishing call events on `calls`, keyed by the tracking number, durably before we answer."""

from __future__ import annotations

from typing import Protocol

from ctrack_common.events import CallStarted, CallStatusChanged
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import CALLS

__all__ = ["CallEventSink", "CallsPublisher"]


class CallEventSink(Protocol):
    """Where webhooks record call events (the Kafka publisher; an in-memory list in unit tests)."""

    def publish(self, event: CallStarted | CallStatusChanged) -> None: ...


class CallsPublisher:
    """Returns only once the broker acknowledged the event; raises `PublishFailed` otherwise."""

    def __init__(self, producer: EventProducer, timeout_seconds: float) -> None:
        self._producer = producer
        self._timeout = timeout_seconds

    def publish(self, event: CallStarted | CallStatusChanged) -> None:
        self._producer.publish(CALLS, event.payload.tracking_number, event)
        self._producer.flush(self._timeout)
