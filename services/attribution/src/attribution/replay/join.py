"""The one place replay drives the live join's pure core: keep it in step with `entrypoints/join.py`.

The live join runs two stages: `NumberStage` on each partition of `calls` and
the re-keyed lease history, then `CallerStage` per caller. Replay runs the same
two stages over in-memory stores, feeding every partition's two logs in the
order they were recorded, as the live join received them, so the same log gives
the same answers. Only the published envelope differs: a replay id in the event
id, and times taken from the event that caused the version, so two runs are identical.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from attribution.domain import (
    AttributedCallVersion,
    CallerStage,
    ConfidenceModel,
    NumberAnswer,
    NumberStage,
)
from attribution.entrypoints.join import attributed_event
from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    CallAttributed,
    CallStarted,
    CallStatusChanged,
    Envelope,
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    NumberConfiguredPayload,
    event_id_for,
)

__all__ = ["arrival_order", "recompute", "replay_event"]


def arrival_order(lease_history: Iterable[Envelope], calls: Iterable[Envelope]) -> Iterator[Envelope]:
    """One partition's re-keyed lease history and calls merged by recording time, each log kept in order."""
    return heapq.merge(lease_history, calls, key=lambda event: event.recorded_at)


def _number_config(
    config: ConfigView, event: CallStarted | CallStatusChanged
) -> NumberConfiguredPayload | None:
    configured = config.number(event.payload.tracking_number)
    if configured is None or configured.tenant_id != event.tenant_id:
        return None
    return configured.payload


def _tagged(partition: int, events: Iterator[Envelope]) -> Iterator[tuple[int, Envelope]]:
    return ((partition, event) for event in events)


def _answers(numbers: NumberStage, partition: str, event: Envelope, config: ConfigView) -> list[NumberAnswer]:
    match event:
        case LeaseGranted() | LeaseRenewed() | LeaseExpired() | LeaseReleased() | LeaseRevoked():
            return numbers.on_lease(event, partition=partition)
        case CallStarted() | CallStatusChanged():
            return numbers.on_call(
                tenant_id=event.tenant_id,
                site_id=event.site_id,
                occurred_at=event.occurred_at,
                facts=event.payload,
                number_config=_number_config(config, event),
                partition=partition,
            )
    return []


def recompute(
    partitions: Mapping[int, tuple[Sequence[Envelope], Sequence[Envelope]]],
    *,
    grace: timedelta,
    retention: timedelta,
    config: ConfigView,
    settle_at: datetime,
) -> Iterator[tuple[AttributedCallVersion, datetime, datetime]]:
    """Every version the join gives, with the event time and recording time of what caused it.

    `partitions` holds each partition's (lease history, calls). When the logs are exhausted, every
    partition's stream time is moved on to `settle_at`, as the live join's idle ticks do with the
    wall clock, so calls no lease matched get the answer they were waiting for.
    """
    numbers = NumberStage(grace=grace, retention=retention, numbers={}, clocks={})
    callers = CallerStage(model=ConfidenceModel(), callers={})

    def versions(answers: list[NumberAnswer]) -> Iterator[AttributedCallVersion]:
        for answer in answers:
            yield from (output.version for output in callers.on_answer(answer) if output.fresh)

    streams = [
        _tagged(partition, arrival_order(lease_history, calls))
        for partition, (lease_history, calls) in sorted(partitions.items())
    ]
    for partition, event in heapq.merge(*streams, key=lambda tagged: tagged[1].recorded_at):
        for version in versions(_answers(numbers, str(partition), event, config)):
            yield version, event.occurred_at, event.recorded_at
    for partition in sorted(partitions):
        for version in versions(numbers.on_idle(str(partition), settle_at)):
            yield version, settle_at, settle_at


def replay_event(
    answer: AttributedCallVersion, occurred_at: datetime, recorded_at: datetime, replay_id: str
) -> CallAttributed:
    """The replay's form of a version: the live payload, an id of its own per run, the times of its cause."""
    live = attributed_event(answer, occurred_at, recorded_at)
    return live.model_copy(
        update={"event_id": event_id_for("CallAttributed", replay_id, answer.call_id, answer.version)}
    )
