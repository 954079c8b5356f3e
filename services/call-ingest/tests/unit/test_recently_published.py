"""A provider's redelivery of an already published event is not published again (per process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from call_ingest.adapters.calls_publisher import RecentlyPublished
from call_ingest.domain.lifecycle import CallObservation, Stage, event_for
from call_ingest.domain.routing import CallOwner
from ctrack_common.messaging import PublishFailed

T0 = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def started(call_id: str) -> Any:
    observation = CallObservation("generic", call_id, Stage.STARTED, "", "+14155550101", started_at=T0)
    return event_for(observation, CallOwner("t", "s"), T0, timedelta(seconds=60))


def test_the_same_event_id_is_published_once_and_the_oldest_ids_are_forgotten(events: Any) -> None:
    sink = RecentlyPublished(events, capacity=2)
    for call_id in ["a", "a", "b", "c", "a"]:
        sink.publish(started(call_id))
    assert [e.payload.provider_call_id for e in events] == ["a", "b", "c", "a"]


def test_an_event_the_broker_did_not_acknowledge_is_published_again_on_retry(events: Any) -> None:
    class Flaky:
        def __init__(self) -> None:
            self.failures = 1

        def publish(self, event: Any) -> None:
            if self.failures:
                self.failures -= 1
                raise PublishFailed("broker down")
            events.append(event)

    sink = RecentlyPublished(Flaky(), capacity=10)
    with pytest.raises(PublishFailed):
        sink.publish(started("a"))
    sink.publish(started("a"))
    assert len(events) == 1
