"""The two stages of the join as pure state machines over key-value stores.

Stage one, keyed by the called number (co-partitioned with `calls`): a
number's lease history and its calls. It answers what the number says about
each call (`NumberAnswer`, with a revision that grows by one per change) and
forwards it to stage two. Stage two, keyed by (tenant, caller): the caller's
calls and their number answers. It adds first-time/repeat, the touches and
the returning-visitor part of the confidence, and publishes the versions.

Lateness follows Kafka Streams' stream time: the latest event time seen on the
partition. A call whose number names no session waits until stream time
passes its start plus `grace` (a late lease event may still match it) before
its first answer is published (a partition that stays idle has its stream time
advanced by the runtime through `on_idle`, so such a call is never stuck); every other call is answered at once (ringing
time). A fact arriving later that changes an answer makes a new revision:
answers are never frozen. Each number's leases and calls are kept for
`retention` of stream time; events older than that are ignored.

Both stages re-emit their current answer (same revision/version) when an
event they already folded arrives again, so an output lost before a crash is
sent again after the restart; downstream drops the repeat by its event id.
The stores are any `MutableMapping`: dicts in tests and replays, faust tables
in the service. A state is always written back after it changes.
"""

from __future__ import annotations

import bisect
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, Field, TypeAdapter

from attribution.domain.attribute import (
    Attribution,
    CallerContext,
    KnownCall,
    NumberMatch,
    finish,
    match,
)
from attribution.domain.confidence import ConfidenceModel
from attribution.domain.lease_history import LeaseEvent, LeaseHistory
from ctrack_common.events import (
    CallFacts,
    Classification,
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    NumberConfiguredPayload,
    NumberRole,
)

__all__ = [
    "DEFAULT_RETENTION",
    "AttributedCallVersion",
    "CallerOutput",
    "CallerStage",
    "CallerState",
    "NumberAnswer",
    "NumberStage",
    "NumberState",
    "PartitionClock",
]

DEFAULT_RETENTION = timedelta(days=30)

StoredLeaseEvent = Annotated[
    LeaseGranted | LeaseRenewed | LeaseExpired | LeaseReleased | LeaseRevoked,
    Field(discriminator="event_type"),
]


@dataclass(frozen=True)
class NumberAnswer:
    """Stage one's answer for a call, as sent to stage two (keyed by `call.caller_key`); `revision` >= 1."""

    call: KnownCall
    revision: int
    match: NumberMatch

    @property
    def call_id(self) -> str:
        return self.call.facts.call_id

    def model_dump_json(self) -> str:
        """The internal topic's JSON form."""
        return _NUMBER_ANSWER.dump_json(self).decode()

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> NumberAnswer:
        answer = _NUMBER_ANSWER.validate_json(data)
        if answer.revision < 1:
            raise ValueError(f"revision must be at least 1, got {answer.revision}")
        return answer


_NUMBER_ANSWER = TypeAdapter(NumberAnswer)


@dataclass(frozen=True)
class AttributedCallVersion:
    """One revision of the final answer for a call: the call as known then, and its attribution."""

    call_id: str
    call: KnownCall
    version: int
    attribution: Attribution


class _NumberRecord(BaseModel):
    lease_events: list[StoredLeaseEvent] = []
    calls: dict[str, KnownCall] = {}
    answers: dict[str, NumberAnswer] = {}


class NumberState:
    """One number: its lease history, its calls (latest facts) and the answers published for them."""

    def __init__(self) -> None:
        self.history = LeaseHistory()
        self.calls: dict[str, KnownCall] = {}
        self.answers: dict[str, NumberAnswer] = {}

    def to_json(self) -> str:
        record = _NumberRecord(lease_events=self.history.events(), calls=self.calls, answers=self.answers)
        return record.model_dump_json()

    @classmethod
    def from_json(cls, data: str | bytes) -> NumberState:
        record = _NumberRecord.model_validate_json(data)
        state = cls()
        for event in record.lease_events:
            state.history.apply(event)
        state.calls = dict(record.calls)
        state.answers = dict(record.answers)
        return state


class PartitionClock(BaseModel):
    """Stream time of one partition and the calls waiting for grace: (due, number, call id), sorted."""

    stream_time: datetime | None = None
    pending: list[tuple[datetime, str, str]] = []

    def advance(self, moment: datetime) -> None:
        if self.stream_time is None or moment > self.stream_time:
            self.stream_time = moment


class CallerState(BaseModel):
    """One caller of one tenant: the latest number answer of each call, and the versions published."""

    answers: dict[str, NumberAnswer] = {}
    published: dict[str, AttributedCallVersion] = {}


@dataclass(frozen=True)
class CallerOutput:
    """A version to publish; `fresh` is False when it repeats one already published (re-sent after a restart)."""

    version: AttributedCallVersion
    fresh: bool


class NumberStage:
    """Stage one. `numbers` maps a number to its state; `clocks` maps a partition to its clock."""

    def __init__(
        self,
        *,
        grace: timedelta,
        retention: timedelta,
        numbers: MutableMapping[str, NumberState],
        clocks: MutableMapping[str, PartitionClock],
    ) -> None:
        self.grace = grace
        self.retention = retention
        self._numbers = numbers
        self._clocks = clocks

    def stream_time(self, partition: str) -> datetime | None:
        clock = self._clocks.get(partition)
        return clock.stream_time if clock is not None else None

    def on_lease(self, event: LeaseEvent, *, partition: str = "0") -> list[NumberAnswer]:
        """Fold a lease event into its number's history and revise the calls of that number it can change."""
        clock = self._clock(partition, event.occurred_at)
        if self._beyond_retention(clock, event.occurred_at):
            return []
        number = event.payload.number
        state = self._load(number, clock)
        fresh = state.history.apply(event)
        # Only the calls from the lease's grant on can change: a call is matched against leases
        # granted at or before it (holders, the last holder, the visitors of its day).
        interval = state.history.interval(event.payload.lease_id)
        affected = (
            [c for c, call in state.calls.items() if call.started_at >= interval.granted_at]
            if interval is not None
            else []
        )
        answers = self._revise(state, number, clock, affected, repeat=not fresh)
        self._numbers[number] = state
        return answers + self._due(clock, partition)

    def on_call(
        self,
        *,
        tenant_id: str,
        site_id: str | None,
        occurred_at: datetime,
        facts: CallFacts,
        number_role: NumberRole | None = None,
        number_config: NumberConfiguredPayload | None = None,
        partition: str = "0",
    ) -> list[NumberAnswer]:
        """Take the latest facts of a call (by provider sequence number) and answer for it."""
        clock = self._clock(partition, occurred_at)
        if self._beyond_retention(clock, facts.started_at):
            return []
        number = facts.tracking_number
        state = self._load(number, clock)
        known = state.calls.get(facts.call_id)
        # One fact per provider stage (sequence number): the first seen wins, so a webhook delivered
        # again later (another receipt time) changes nothing.
        changed = known is None or facts.sequence_number > known.facts.sequence_number
        if changed:
            # The configuration is the one the number had when the call was first seen, so replays agree.
            state.calls[facts.call_id] = KnownCall(
                tenant_id=tenant_id,
                site_id=known.site_id if known is not None else site_id,
                facts=facts,
                number_role=known.number_role if known is not None else number_role,
                number=known.number if known is not None else number_config,
            )
        answers = self._revise(state, number, clock, [facts.call_id], repeat=not changed)
        self._numbers[number] = state
        return answers + self._due(clock, partition)

    def on_idle(self, partition: str, moment: datetime) -> list[NumberAnswer]:
        """Advance the stream time of a partition that received nothing for a while, then publish what is due.

        Stream time only moves with events, so on a quiet partition a call nobody leased would wait
        for ever; the runtime calls this with the stream time the partition would have reached had
        events kept coming (its last stream time plus the wall-clock time it has been idle).
        """
        clock = self._clocks.get(partition)
        if clock is None or clock.stream_time is None or moment <= clock.stream_time:
            return []
        clock.advance(moment)
        return self._due(clock, partition)

    def _clock(self, partition: str, moment: datetime) -> PartitionClock:
        clock = self._clocks.get(partition) or PartitionClock()
        clock.advance(moment)
        self._clocks[partition] = clock
        return clock

    def _horizon(self, clock: PartitionClock) -> datetime | None:
        return clock.stream_time - self.retention if clock.stream_time is not None else None

    def _beyond_retention(self, clock: PartitionClock, moment: datetime) -> bool:
        horizon = self._horizon(clock)
        return horizon is not None and moment < horizon

    def _load(self, number: str, clock: PartitionClock) -> NumberState:
        state = self._numbers.get(number) or NumberState()
        horizon = self._horizon(clock)
        if horizon is not None:
            state.history.prune(horizon)
            for call_id in [c for c, call in state.calls.items() if call.started_at < horizon]:
                del state.calls[call_id]
                state.answers.pop(call_id, None)
        return state

    def _revise(
        self, state: NumberState, number: str, clock: PartitionClock, call_ids: list[str], *, repeat: bool
    ) -> list[NumberAnswer]:
        revised: list[NumberAnswer] = []
        for call_id in sorted(call_ids, key=lambda c: state.calls[c].order_key):
            call = state.calls[call_id]
            found = match(call, state.history)
            previous = state.answers.get(call_id)
            if previous is None:
                due = call.started_at + self.grace
                if found.waits_for_grace and (clock.stream_time is None or clock.stream_time < due):
                    entry = (due, number, call_id)
                    if entry not in clock.pending:
                        bisect.insort(clock.pending, entry)
                    continue
                answer = NumberAnswer(call=call, revision=1, match=found)
            elif previous.call == call and previous.match == found:
                if repeat:
                    revised.append(previous)
                continue
            else:
                answer = NumberAnswer(call=call, revision=previous.revision + 1, match=found)
            state.answers[call_id] = answer
            revised.append(answer)
        return revised

    def _due(self, clock: PartitionClock, partition: str) -> list[NumberAnswer]:
        """Publish the waiting calls whose grace has passed, with what their numbers say now."""
        answers: list[NumberAnswer] = []
        while clock.pending and clock.stream_time is not None and clock.pending[0][0] <= clock.stream_time:
            _, number, call_id = clock.pending.pop(0)
            state = self._load(number, clock)
            if call_id in state.calls and call_id not in state.answers:
                call = state.calls[call_id]
                answer = NumberAnswer(call=call, revision=1, match=match(call, state.history))
                state.answers[call_id] = answer
                answers.append(answer)
                self._numbers[number] = state
        self._clocks[partition] = clock
        return answers


class CallerStage:
    """Stage two. `callers` maps `KnownCall.caller_key` to the caller's state."""

    def __init__(self, *, model: ConfidenceModel, callers: MutableMapping[str, CallerState]) -> None:
        self.model = model
        self._callers = callers

    def on_answer(self, answer: NumberAnswer) -> list[CallerOutput]:
        key = answer.call.caller_key
        state = self._callers.get(key) or CallerState()
        known = state.answers.get(answer.call_id)
        if known is not None and answer.revision <= known.revision:
            # Already folded (a redelivery): repeat what was published for it, in case that was lost.
            published = state.published.get(answer.call_id)
            return [CallerOutput(published, fresh=False)] if published is not None else []
        state.answers[answer.call_id] = answer
        outputs = []
        for call_id, attribution in _attribute_all(state.answers, self.model).items():
            call = state.answers[call_id].call
            previous = state.published.get(call_id)
            if previous is not None and previous.call == call and previous.attribution == attribution:
                continue
            version = AttributedCallVersion(
                call_id=call_id,
                call=call,
                version=previous.version + 1 if previous is not None else 1,
                attribution=attribution,
            )
            state.published[call_id] = version
            outputs.append(CallerOutput(version, fresh=True))
        self._callers[key] = state
        return outputs


def _attribute_all(answers: dict[str, NumberAnswer], model: ConfidenceModel) -> dict[str, Attribution]:
    """Every call of one caller in start order, each finished with what the answers before it say."""
    ordered = sorted(answers.values(), key=lambda a: a.call.order_key)
    result: dict[str, Attribution] = {}
    touches: list[Attribution] = []
    # The latest answer naming a session, per tracking number: the repeat-caller rule's evidence.
    on_number: dict[str, Attribution] = {}
    for position, answer in enumerate(ordered):
        number = answer.call.facts.tracking_number
        context = CallerContext(
            first_time=position == 0,
            first_touch=touches[0].session if touches else None,
            last_touch=touches[-1].session if touches else None,
            previous_visitor_id=touches[-1].visitor_id if touches else None,
            earlier_on_number=on_number.get(number),
        )
        attribution = finish(answer.match, context, model)
        result[answer.call_id] = attribution
        if attribution.classification is Classification.DYNAMIC and attribution.session is not None:
            on_number[number] = attribution
            touches.append(attribution)
    return result
