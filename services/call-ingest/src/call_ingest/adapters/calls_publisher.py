"""Publishing call events on `calls`, keyed by the tracking number, durably before we answer."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

from ctrack_common.events import CallRecordingAvailable, CallStarted, CallStatusChanged
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import CALLS

__all__ = ["CallEventSink", "CallsPublisher", "RecentlyPublished"]


class CallEventSink(Protocol):
    """Where webhooks record call events (the Kafka publisher; an in-memory list in unit tests)."""

    def publish(self, event: CallStarted | CallStatusChanged | CallRecordingAvailable) -> None: ...


class CallsPublisher:
    """Returns only once the broker acknowledged the event; raises `PublishFailed` otherwise."""

    def __init__(self, producer: EventProducer, timeout_seconds: float) -> None:
        self._producer = producer
        self._timeout = timeout_seconds

    def publish(self, event: CallStarted | CallStatusChanged | CallRecordingAvailable) -> None:
        self._producer.publish(CALLS, event.payload.tracking_number, event)
        self._producer.flush(self._timeout)


class RecentlyPublished:
    """Skips an event whose id this process published recently (a provider's redelivery).

    Event ids are deterministic, so consumers are idempotent by id anyway; this only keeps the
    topic free of the common duplicate (a provider retrying within minutes to the same process).
    Remembered only once the broker acknowledged; bounded to the last `capacity` ids.
    """

    def __init__(self, sink: CallEventSink, capacity: int) -> None:
        self._sink = sink
        self._capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def publish(self, event: CallStarted | CallStatusChanged | CallRecordingAvailable) -> None:
        key = str(event.event_id)
        with self._lock:
            if key in self._seen:
                self._seen.move_to_end(key)
                return
        self._sink.publish(event)
        with self._lock:
            self._seen[key] = None
            while len(self._seen) > self._capacity:
                self._seen.popitem(last=False)
