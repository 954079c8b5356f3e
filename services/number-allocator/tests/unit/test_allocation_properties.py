"""Invariants of the allocator over arbitrary timelines of visits, heartbeats, leaves, redeliveries,
sweeps and passing time, under a pool with hold, quarantine, delayed display and idle reclaim.

An independent model reads only the published events and checks:
- a number is never leased to two visitors at once, and a visitor holds at most one number;
- a number is never granted while on hold for someone else, nor while in quarantine;
- every grant is the visitor's previous number when they may have it, else the number free the
  longest (never-leased first, ties by number): LRU order is kept;
- every timer fires once: an event id always names the same fact;
- a redelivered request that got a number never takes another (one that was denied may get one later);
- replaying the published events from an empty state rebuilds exactly the live state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ctrack_common.events import LeaseDenied, LeaseExpired, LeaseGranted, LeaseRenewed, SessionSnapshot
from ctrack_common.events.models import (
    LeaseDeferralCancelled,
    LeaseDeferred,
    LeaseHoldEnded,
    LeaseReleased,
    LeaseRevoked,
    PoolExhausted,
)
from number_allocator.domain import (
    Command,
    LeaseEvent,
    LeaveSite,
    PoolPolicy,
    PoolState,
    RenewLease,
    RequestNumber,
    decide,
    due_timers,
    evolve,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NEVER = datetime.min.replace(tzinfo=UTC)
NUMBERS = ("+14155550101", "+14155550102", "+14155550103")
QUARANTINED = {"+14155550103": T0 + timedelta(seconds=90)}

visitors = st.sampled_from(["a", "b", "c", "d", "e"])
steps = st.one_of(
    st.tuples(st.just("visit"), visitors),
    st.tuples(st.just("heartbeat"), visitors),
    st.tuples(st.just("active"), visitors),
    st.tuples(st.just("leave"), visitors),
    st.tuples(st.just("redeliver"), st.integers(min_value=1, max_value=8)),
    st.tuples(st.just("sweep"), st.just("")),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=45)),
)
policies = st.builds(
    PoolPolicy,
    numbers=st.just(NUMBERS),
    lease_seconds=st.just(30),
    default_number=st.just("+14155550199"),
    hold_seconds=st.sampled_from([0, 10, 40]),
    display_delay_seconds=st.sampled_from([0, 5]),
    idle_reclaim_seconds=st.sampled_from([None, 20, 60]),
    overflow_number=st.sampled_from([None, "+14155550198"]),
    available_from=st.sampled_from([{}, QUARANTINED]),
)


@dataclass
class Model:
    """Who holds which number, holds, last holders and when each number was freed, from events alone."""

    policy: PoolPolicy
    holder: dict[str, str] = field(default_factory=dict)
    freed: dict[str, datetime] = field(default_factory=dict)
    holds: dict[str, str] = field(default_factory=dict)
    last: dict[str, str] = field(default_factory=dict)
    seen: dict[uuid.UUID, LeaseEvent] = field(default_factory=dict)

    def grantable(self, number: str, visitor: str | None, at: datetime) -> bool:
        return (
            number not in self.holder
            and self.holds.get(number, visitor) == visitor
            and self.policy.available_from.get(number, NEVER) <= at
        )

    def expected(self, visitor: str, at: datetime) -> str | None:
        mine = sorted(
            (n for n, v in self.last.items() if v == visitor),
            key=lambda n: (self.freed.get(n, NEVER), n),
            reverse=True,
        )
        for number in mine:
            if self.grantable(number, visitor, at):
                return number
        free = [n for n in NUMBERS if self.grantable(n, None, at)]
        return min(free, key=lambda n: (self.freed.get(n, NEVER), n), default=None)

    def check(self, event: LeaseEvent) -> None:
        if event.event_id in self.seen:  # a redelivered answer: sinks deduplicate it by id
            assert self.seen[event.event_id] == event, "one event id, two different facts"
            return
        self.seen[event.event_id] = event
        match event:
            case LeaseGranted():
                number, visitor = event.payload.number, event.payload.visitor_id
                assert number not in self.holder, "a number held by two visitors"
                assert self.holds.get(number, visitor) == visitor, "granted during someone else's hold"
                assert self.policy.available_from.get(number, NEVER) <= event.occurred_at, "in quarantine"
                assert number == self.expected(visitor, event.occurred_at), "not LRU / not their number"
                assert visitor not in self.holder.values(), "visitor already holds a number"
                self.holder[number] = visitor
                self.holds.pop(number, None)
            case LeaseRenewed():
                assert self.holder.get(event.payload.number) == event.payload.visitor_id, "renewed another's"
            case LeaseExpired() | LeaseReleased() | LeaseRevoked():
                number = event.payload.number
                assert self.holder.pop(number) == event.payload.visitor_id, "ended someone else's lease"
                self.freed[number] = event.occurred_at
                self.last[number] = event.payload.visitor_id
                if event.payload.hold_until is not None:
                    self.holds[number] = event.payload.visitor_id
            case LeaseHoldEnded():
                assert self.holds.pop(event.payload.number) == event.payload.visitor_id
            case LeaseDenied():
                assert self.expected(event.payload.visitor_id, event.occurred_at) is None, "denied, yet free"
                assert event.payload.default_number == (
                    self.policy.overflow_number or self.policy.default_number
                )
            case PoolExhausted():
                assert event.payload.duration_seconds >= 0
            case LeaseDeferred() | LeaseDeferralCancelled():
                pass


def command(kind: str, visitor: str, now: datetime, policy: PoolPolicy) -> Command:
    if kind in ("heartbeat", "active"):
        return RenewLease(
            request_id=uuid.uuid4(),
            requested_at=now,
            pool_id="p1",
            visit_id="hb",
            visitor_id=visitor,
            lease_seconds=30,
            active=kind == "active",
            policy=policy,
        )
    if kind == "leave":
        return LeaveSite(
            request_id=uuid.uuid4(),
            requested_at=now,
            pool_id="p1",
            visit_id=f"visit-{visitor}",
            visitor_id=visitor,
            policy=policy,
        )
    return RequestNumber(
        request_id=uuid.uuid4(),
        requested_at=now,
        tenant_id="t1",
        site_id="s1",
        pool_id="p1",
        visit_id=f"visit-{visitor}",
        visitor_id=visitor,
        session=SessionSnapshot(source="google", medium="cpc"),
        policy=policy,
    )


@settings(max_examples=400, deadline=None)
@given(policies, st.lists(steps, max_size=60))
def test_no_number_is_held_twice_or_granted_in_hold_or_quarantine_and_lru_order_is_kept(
    policy: PoolPolicy, timeline: list[tuple[str, object]]
) -> None:
    state, now, model = PoolState("p1"), T0, Model(policy)
    published: list[LeaseEvent] = []
    sent: list[tuple[Command, LeaseEvent | None]] = []
    for kind, arg in timeline:
        if kind == "wait":
            now += timedelta(seconds=int(str(arg)))
            continue
        if kind == "sweep":
            events = due_timers(state, policy, now)
            for event in events:
                state = evolve(state, event)
            assert due_timers(state, policy, now) == [], "a timer fired twice"
        elif kind == "redeliver":
            if not sent:
                continue
            last, first_answer = sent[-min(int(str(arg)), len(sent))]  # the last one, or an earlier one
            timers = due_timers(state, policy, now)
            for event in timers:
                state = evolve(state, event)
            state, answers = decide(state, last, now)
            events = timers + answers
            if isinstance(
                first_answer, LeaseGranted | LeaseRenewed
            ) and first_answer.payload.visitor_id == getattr(last, "visitor_id", None):
                assert not any(
                    isinstance(e, LeaseGranted) and e.event_id != first_answer.event_id for e in answers
                ), "a redelivery took another number"
        else:
            last = command(kind, str(arg), now, policy)
            state, events = decide(state, last, now)
            sent.append((last, events[-1] if events else None))
        for event in events:
            model.check(event)
        published.extend(events)
    rebuilt = PoolState("p1")
    for event in published:
        rebuilt = evolve(rebuilt, event)
    assert rebuilt == state
