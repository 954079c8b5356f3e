"""Invariants of the allocator over arbitrary timelines of visits, heartbeats, redeliveries and passing time.

An independent model reads only the published events and checks:
- a number is never leased to two visitors at once, and a visitor holds at most one number;
- every grant is the number free the longest (never-leased first, ties by number);
- a redelivered request gets the same answer (same id) and never a second number;
- replaying the published events from an empty state rebuilds exactly the live state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ctrack_common.events import LeaseExpired, LeaseGranted, LeaseRenewed, SessionSnapshot
from number_allocator.domain import (
    Command,
    LeaseEvent,
    PoolPolicy,
    PoolState,
    RenewLease,
    RequestNumber,
    decide,
    evolve,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
NEVER = datetime.min.replace(tzinfo=UTC)
NUMBERS = ("+14155550101", "+14155550102", "+14155550103")
POLICY = PoolPolicy(numbers=NUMBERS, lease_seconds=30)

visitors = st.sampled_from(["a", "b", "c", "d", "e"])
steps = st.one_of(
    st.tuples(st.just("visit"), visitors),
    st.tuples(st.just("heartbeat"), visitors),
    st.tuples(st.just("redeliver"), st.just("")),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=45)),
)


@dataclass
class Model:
    """Who holds which number, and when each number was last freed, read from events alone."""

    holder: dict[str, str] = field(default_factory=dict)
    freed: dict[str, datetime] = field(default_factory=dict)
    seen: dict[uuid.UUID, LeaseEvent] = field(default_factory=dict)

    def check(self, event: LeaseEvent) -> None:
        if event.event_id in self.seen:  # a redelivered answer: sinks deduplicate it by id
            assert self.seen[event.event_id] == event, "one event id, two different facts"
            return
        self.seen[event.event_id] = event
        match event:
            case LeaseGranted():
                number, visitor = event.payload.number, event.payload.visitor_id
                free = [n for n in NUMBERS if n not in self.holder]
                assert number == min(free, key=lambda n: (self.freed.get(n, NEVER), n)), (
                    "not the longest free"
                )
                assert visitor not in self.holder.values(), "visitor already holds a number"
                self.holder[number] = visitor
            case LeaseRenewed():
                assert self.holder.get(event.payload.number) == event.payload.visitor_id, (
                    "renewed someone else's"
                )
            case LeaseExpired():
                assert self.holder.pop(event.payload.number) == event.payload.visitor_id
                self.freed[event.payload.number] = event.occurred_at


def command(kind: str, visitor: str, now: datetime) -> Command:
    if kind == "heartbeat":
        return RenewLease(
            request_id=uuid.uuid4(),
            requested_at=now,
            pool_id="p1",
            visit_id="hb",
            visitor_id=visitor,
            lease_seconds=30,
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
        policy=POLICY,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(steps, max_size=60))
def test_no_number_is_ever_leased_to_two_visitors_and_grants_take_the_longest_free(
    timeline: list[tuple[str, object]],
) -> None:
    state, now, model = PoolState("p1"), T0, Model()
    published: list[LeaseEvent] = []
    last: Command | None = None
    for kind, arg in timeline:
        if kind == "wait":
            now += timedelta(seconds=int(str(arg)))
            continue
        if kind == "redeliver":
            if last is None:
                continue
            before = len(state.leases)
            state, events = decide(state, last, now)
            assert len(state.leases) <= before, "a redelivered request must not take another number"
        else:
            last = command(kind, str(arg), now)
            state, events = decide(state, last, now)
        for event in events:
            model.check(event)
        published.extend(events)
    rebuilt = PoolState("p1")
    for event in published:
        rebuilt = evolve(rebuilt, event)
    assert rebuilt == state
