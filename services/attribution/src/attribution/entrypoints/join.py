"""The join as two faust agents over faust tables: stage one by number, stage two by caller.

Stage one reads `calls` and `lease-history-by-number` (co-partitioned: both
keyed by number) and keeps each number's state in the `numbers` table and each
partition's stream time in the `clocks` table; its answers go to the internal
`attribution-by-caller` topic keyed by caller. Stage two keeps each caller's
calls in the `callers` table and publishes the versions on `attributed-calls`.
Faust's own stream joins are not used: the join is the pure core in
`attribution.domain`, and the tables are only its key-value stores. Faust
rebuilds the tables from their changelog topics after a restart or rebalance.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
from faust.types import StreamT

from attribution.adapters.faust_tables import JsonTable
from attribution.config import Settings
from attribution.domain import (
    AttributedCallVersion,
    CallerStage,
    CallerState,
    ConfidenceModel,
    NumberAnswer,
    NumberStage,
    NumberState,
    PartitionClock,
)
from attribution.metrics import ATTRIBUTED_VERSIONS, JOIN_DEAD_LETTERS
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
    NumberConfiguredPayload,
    decode,
    encode,
    event_id_for,
)
from ctrack_common.logging import get_logger
from ctrack_common.messaging import EventProducer
from ctrack_common.messaging.consumer import dead_letter_headers
from ctrack_common.topics import (
    ATTRIBUTED_CALLS,
    ATTRIBUTION_BY_CALLER,
    ATTRIBUTION_TICKS,
    CALLS,
    DEAD_LETTERS,
    LEASE_HISTORY_BY_NUMBER,
)

__all__ = ["JoinStages", "attributed_event", "build_join_app", "changelog_topics"]

log = get_logger(__name__)

Clock = Callable[[], datetime]


TABLES = ("numbers", "clocks", "callers")


def changelog_topics(settings: Settings) -> list[str]:
    """The changelog topic of each table, as faust names them."""
    return [f"{settings.group('join')}-{table}-changelog" for table in TABLES]


def _raw() -> faust.Schema[bytes, bytes]:
    # One schema per topic: faust updates a schema in place with its own defaults. (Tables take
    # `key_type`/`value_type` bytes instead: that is what selects the raw codec for their changelogs.)
    return faust.Schema(key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")


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
            channel=a.channel,
            first_touch=a.first_touch,
            last_touch=a.last_touch,
        ),
    )


@dataclass
class JoinStages:
    """Translates records of the two agents into calls of the two pure stages."""

    numbers: NumberStage
    callers: CallerStage
    config: ConfigView
    idle_after: float
    # Per partition: the stream time after its last record and the monotonic time it arrived (memory only:
    # after a restart a partition counts as idle from its first tick).
    _last_record: dict[int, tuple[datetime | None, float]] = field(default_factory=dict)

    def number_record(self, value: bytes, topic: str, partition: int) -> list[NumberAnswer]:
        if topic == ATTRIBUTION_TICKS.name:
            return self._tick(partition)
        answers = self._number_record(value, topic, partition)
        self._last_record[partition] = (self.numbers.stream_time(str(partition)), time.monotonic())
        return answers

    def _tick(self, partition: int) -> list[NumberAnswer]:
        now = time.monotonic()
        stream_time, seen = self._last_record.setdefault(
            partition, (self.numbers.stream_time(str(partition)), now)
        )
        idle = now - seen
        if stream_time is None or idle < self.idle_after:
            return []
        return self.numbers.on_idle(str(partition), stream_time + timedelta(seconds=idle))

    def _number_record(self, value: bytes, topic: str, partition: int) -> list[NumberAnswer]:
        event = decode(value, CALLS if topic == CALLS.name else LEASE_HISTORY_BY_NUMBER)
        match event:
            case LeaseGranted() | LeaseRenewed() | LeaseExpired() | LeaseReleased() | LeaseRevoked():
                return self.numbers.on_lease(event, partition=str(partition))
            case CallStarted() | CallStatusChanged():
                return self.numbers.on_call(
                    tenant_id=event.tenant_id,
                    site_id=event.site_id,
                    occurred_at=event.occurred_at,
                    facts=event.payload,
                    number_config=self._number(event),
                    partition=str(partition),
                )
        # Recordings and lease facts without a number's interval (denials, holds) change no answer.
        return []

    def _number(self, event: Envelope) -> NumberConfiguredPayload | None:
        assert isinstance(event, CallStarted | CallStatusChanged)
        configured = self.config.number(event.payload.tracking_number)
        if configured is None or configured.tenant_id != event.tenant_id:
            return None
        return configured.payload


def build_join_app(
    settings: Settings,
    config: ConfigView,
    dead_letters: EventProducer,
    partitions: int,
    *,
    model: ConfidenceModel | None = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> faust.App:
    """The faust app of the join: its topics, tables and the two agents."""
    app_id = settings.group("join")
    app = faust.App(
        app_id,
        broker=";".join(f"kafka://{server}" for server in settings.KAFKA_BOOTSTRAP_SERVERS.split(",")),
        store="memory://",
        datadir=tempfile.mkdtemp(prefix="attribution-faust-"),
        web_enabled=False,
        topic_partitions=partitions,
        topic_replication_factor=settings.JOIN_REPLICATION_FACTOR,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
    )
    inputs = app.topic(CALLS.name, LEASE_HISTORY_BY_NUMBER.name, ATTRIBUTION_TICKS.name, schema=_raw())
    ticks = app.topic(ATTRIBUTION_TICKS.name, schema=_raw())
    by_caller = app.topic(ATTRIBUTION_BY_CALLER.name, schema=_raw())
    attributed = app.topic(ATTRIBUTED_CALLS.name, schema=_raw())
    numbers: JsonTable[NumberState] = JsonTable(
        app.Table("numbers", partitions=partitions, key_type=bytes, value_type=bytes),
        NumberState.to_json,
        NumberState.from_json,
    )
    clocks: JsonTable[PartitionClock] = JsonTable(
        app.Table("clocks", partitions=partitions, key_type=bytes, value_type=bytes),
        PartitionClock.model_dump_json,
        PartitionClock.model_validate_json,
    )
    callers: JsonTable[CallerState] = JsonTable(
        app.Table("callers", partitions=partitions, key_type=bytes, value_type=bytes),
        CallerState.model_dump_json,
        CallerState.model_validate_json,
    )
    stages = JoinStages(
        numbers=NumberStage(
            grace=settings.join_grace, retention=settings.lease_retention, numbers=numbers, clocks=clocks
        ),
        callers=CallerStage(model=model or ConfidenceModel(), callers=callers),
        config=config,
        idle_after=settings.JOIN_IDLE_SECONDS,
    )

    def forget(*_: Any, **__: Any) -> None:
        for table in (numbers, clocks, callers):
            table.forget()

    app.on_partitions_revoked.connect(forget)

    def dead_letter(event: Any, exc: Exception) -> None:
        message = event.message
        reason = f"{type(exc).__name__}: {exc}"
        log.warning("join_dead_letter", topic=message.topic, offset=message.offset, reason=reason)
        dead_letters.produce_raw(
            DEAD_LETTERS,
            message.topic,
            message.value,
            dead_letter_headers(message.topic, message.partition, message.offset, app_id, reason),
        )
        dead_letters.flush()
        JOIN_DEAD_LETTERS.labels(message.topic).inc()

    @app.agent(inputs)
    async def by_number(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                answers = stages.number_record(event.value, event.message.topic, event.message.partition)
            except Exception as exc:  # noqa: BLE001 - a bad record is dead-lettered, never stops the join
                dead_letter(event, exc)
                continue
            for answer in answers:
                await by_caller.send(
                    key=answer.call.caller_key.encode(), value=answer.model_dump_json().encode()
                )

    @app.timer(interval=settings.JOIN_IDLE_SECONDS)  # type: ignore[untyped-decorator]
    async def tick() -> None:
        # Tables may only change inside a stream, so the tick travels as a record to each partition this
        # worker owns; the agent then moves an idle partition's stream time on.
        for tp in app.assignor.assigned_actives():
            if tp.topic == CALLS.name:
                await ticks.send(value=b"tick", partition=tp.partition)

    @app.agent(by_caller)
    async def by_caller_stage(stream: StreamT[bytes]) -> None:
        async for event in stream.events():
            try:
                outputs = stages.callers.on_answer(NumberAnswer.model_validate_json(event.value))
            except Exception as exc:  # noqa: BLE001 - as above
                dead_letter(event, exc)
                continue
            for output in outputs:
                version = output.version
                # Event time of a version is the call's start: the same on every replay.
                published = attributed_event(version, version.call.started_at, clock())
                await attributed.send(key=version.call_id.encode(), value=encode(published))
                if output.fresh:
                    ATTRIBUTED_VERSIONS.labels(version.attribution.classification.value).inc()

    return app
