"""The join consumer: calls and re-keyed lease history of the same partitions, into attributed calls.

State lives in memory per partition and is rebuilt from the beginning of both
topics whenever partitions are assigned (the consumer replays them). Replayed
outputs carry the same event ids as the first time, so downstream sinks drop them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from confluent_kafka import TopicPartition

from attribution.domain import AttributedCallVersion, PartitionJoin
from attribution.metrics import ATTRIBUTED_VERSIONS
from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    CallAttributed,
    CallAttributedPayload,
    CallStarted,
    CallStatusChanged,
    Envelope,
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    NumberRole,
    event_id_for,
)
from ctrack_common.messaging import EventProducer, Record
from ctrack_common.topics import ATTRIBUTED_CALLS

__all__ = ["JoinHandler", "attributed_event"]

Clock = Callable[[], datetime]


def attributed_event(
    answer: AttributedCallVersion, occurred_at: datetime, recorded_at: datetime
) -> CallAttributed:
    """The published form of one version; its id depends only on the call and the version."""
    a = answer.attribution
    return CallAttributed(
        event_id=event_id_for("CallAttributed", answer.call_id, answer.version),
        occurred_at=occurred_at,
        recorded_at=recorded_at,
        tenant_id=answer.call.tenant_id,
        site_id=answer.call.site_id or a.site_id,
        payload=CallAttributedPayload(
            call_id=answer.call_id,
            version=answer.version,
            call=answer.call.facts,
            classification=a.classification,
            unattributed_reason=a.unattributed_reason,
            lease_id=a.lease_id,
            visitor_id=a.visitor_id,
            visit_id=a.visit_id,
            session=a.session,
            confidence=a.confidence,
            confidence_reasons=a.confidence_reasons,
            first_time_caller=a.first_time_caller,
        ),
    )


class JoinHandler:
    """Handler and rebalance callbacks of the `<prefix>-join` consumer group."""

    def __init__(
        self,
        producer: EventProducer,
        config: ConfigView,
        grace: timedelta,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self._producer = producer
        self._config = config
        self._grace = grace
        self._clock = clock
        self._states: dict[int, PartitionJoin] = {}

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        # Both topics' partition p share one state; the consumer replays them from the beginning.
        for tp in partitions:
            self._states[tp.partition] = PartitionJoin(self._grace)

    def on_revoke(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self._states.pop(tp.partition, None)

    def handle(self, records: list[Record]) -> None:
        for state in self._states.values():
            state.checkpoint()
        outgoing: list[CallAttributed] = []
        for record in records:
            state = self._states.setdefault(record.partition, PartitionJoin(self._grace))
            outgoing += [
                attributed_event(answer, record.event.occurred_at, self._clock())
                for answer in self._apply(state, record.event)
            ]
        if not outgoing:
            return
        try:
            self._producer.publish_many(
                ATTRIBUTED_CALLS, [(e.payload.call_id, e) for e in outgoing], wait=True
            )
        except Exception:
            for state in self._states.values():
                state.rollback()
            raise
        for event in outgoing:
            ATTRIBUTED_VERSIONS.labels(event.payload.classification.value).inc()

    def _apply(self, state: PartitionJoin, event: Envelope) -> list[AttributedCallVersion]:
        revised: list[AttributedCallVersion] = []
        match event:
            case LeaseGranted() | LeaseRenewed() | LeaseExpired() | LeaseReleased() | LeaseRevoked():
                revised = state.on_lease(event)
            case CallStarted() | CallStatusChanged():
                revised = state.on_call(
                    tenant_id=event.tenant_id,
                    site_id=event.site_id,
                    occurred_at=event.occurred_at,
                    facts=event.payload,
                    number_role=self._role(event.tenant_id, event.payload.tracking_number),
                )
        # LeaseDenied never reaches the re-keyed topic, and nothing else is published on these topics.
        return revised

    def _role(self, tenant_id: str, number: str) -> NumberRole | None:
        configured = self._config.number(number)
        if configured is None or configured.tenant_id != tenant_id:
            return None
        return configured.payload.role
