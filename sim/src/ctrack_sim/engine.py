"""Fast mode: the real pool policy and the real join on a simulated clock.

`run(activity, calls, pool)` takes time-ordered tracker activity (page loads, heartbeats, leave
beacons) and calls, answers each piece of activity with the allocator's `decide`, fires due timers
before every call the way the allocator's sweep does, feeds every lease event to the join, and
dials each call on the number its caller was shown. It returns the lease events (on request), the
join's latest answer per call, the numbers dialled and the pool-exhausted time. The simulator and
the what-if estimate both run through here.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ctrack_common.events import LeaseDenied, LeaseGranted, NumberRole, PoolExhausted
from ctrack_sim.allocator_port import Allocator, Answer, PoolPolicy, shown_number
from ctrack_sim.join_port import JOINED, CallAnswer, CallerState, Join, JoinedEvent
from ctrack_sim.model import Activity

__all__ = ["EngineCall", "EngineResult", "PoolSetup", "run"]

DEFAULT_GRACE = timedelta(hours=1)  # attribution's JOIN_GRACE_SECONDS default


@dataclass(frozen=True)
class PoolSetup:
    """A pool as the allocator and the join see it: numbers, special numbers and timers (seconds).

    Defaults are the services' defaults: lease 120 s (a few missed 15 s heartbeats, so a lost leave
    beacon keeps a number two minutes, not half an hour), hold 420 s (DOMAIN.md "about seven minutes"),
    no display delay, idle reclaim after 3600 s (DOMAIN.md "a tab left open for an hour"). Numbers in
    `quarantined_until` are not granted before that moment.
    """

    numbers: tuple[str, ...]
    lease_seconds: int = 120
    hold_seconds: int = 420
    display_delay_seconds: int = 0
    idle_reclaim_seconds: int | None = 3600
    default_number: str | None = None
    overflow_number: str | None = None
    default_before_display_number: str | None = None
    default_after_reclaim_number: str | None = None
    quarantined_until: dict[str, datetime] = field(default_factory=dict)

    @classmethod
    def sized(cls, size: int, **settings: object) -> PoolSetup:
        """A pool of `size` numbers with its four special numbers (so each kind of miss is counted)."""
        numbers = tuple(f"+1800{n:07d}" for n in range(size))
        return cls(
            numbers=numbers,
            default_number="+18990000001",
            overflow_number="+18990000002",
            default_before_display_number="+18990000003",
            default_after_reclaim_number="+18990000004",
            **settings,  # type: ignore[arg-type]
        )

    def policy(self) -> PoolPolicy:
        return PoolPolicy(
            numbers=self.numbers,
            lease_seconds=self.lease_seconds,
            default_number=self.default_number,
            hold_seconds=self.hold_seconds,
            display_delay_seconds=self.display_delay_seconds,
            idle_reclaim_seconds=self.idle_reclaim_seconds,
            overflow_number=self.overflow_number,
            default_before_display_number=self.default_before_display_number,
            default_after_reclaim_number=self.default_after_reclaim_number,
            available_from=self.quarantined_until,
        )

    def role(self, number: str) -> NumberRole | None:
        """The role the config gives `number` (what the join looks up for each call)."""
        roles = {
            self.default_number: NumberRole.DEFAULT,
            self.overflow_number: NumberRole.OVERFLOW,
            self.default_before_display_number: NumberRole.DEFAULT_BEFORE_DISPLAY,
            self.default_after_reclaim_number: NumberRole.DEFAULT_AFTER_RECLAIM,
        }
        if number in self.numbers:
            return NumberRole.POOL
        return roles.get(number)


@dataclass(frozen=True)
class EngineCall:
    """A call to place. The caller dials the number shown to `visitor_id` at `seen_at`, or the number
    dialled by the call `redial_of`, or else `tracking_number` as given (a recorded call nobody claims)."""

    call_id: str
    at: datetime
    caller_number: str
    visitor_id: str | None = None
    seen_at: datetime | None = None
    redial_of: str | None = None
    tracking_number: str | None = None


@dataclass
class EngineResult:
    """What one run gave: the join's answers, the numbers dialled (None: the site's own number,
    which never reaches the platform), lease counts and the time the pool spent exhausted."""

    answers: dict[str, CallAnswer]
    dialled: dict[str, str | None]
    granted: int = 0
    denied: int = 0
    exhausted_seconds: float = 0.0
    lease_events: list[Answer] = field(default_factory=list)


class _Screens:
    """What each visitor is shown over time, from the lease events about them."""

    def __init__(self) -> None:
        self._times: dict[str, list[datetime]] = {}
        self._numbers: dict[str, list[str | None]] = {}

    def record(self, event: Answer) -> None:
        shown = shown_number(event)
        if shown is None:
            return
        visitor, number = shown
        self._times.setdefault(visitor, []).append(event.occurred_at)
        self._numbers.setdefault(visitor, []).append(number)

    def at(self, visitor_id: str, moment: datetime) -> str | None:
        times = self._times.get(visitor_id)
        if not times:
            return None
        index = bisect_right(times, moment) - 1
        return self._numbers[visitor_id][index] if index >= 0 else None


class _Joins:
    """The join, rebuilt every `epoch` from the lease events of the last `lookback`.

    The service keeps a number's lease history for a retention period; one join fed a month of
    traffic re-examines every call of a number on each of its lease events (quadratic). A call only
    depends on the leases around it, so each epoch's calls go to a join that was given the leases of
    the `lookback` before the epoch and everything after; the previous join keeps receiving leases for
    `grace` after its epoch, so late facts still revise its calls, as in the service. The latest lease
    of every number is always replayed too, so a number leased long ago is not taken for never leased.
    """

    def __init__(self, grace: timedelta, epoch: timedelta, lookback: timedelta) -> None:
        self.answers: dict[str, CallAnswer] = {}
        self._callers: dict[str, CallerState] = {}  # one caller table for the run's daily joins
        self._grace, self._epoch, self._lookback = grace, epoch, lookback
        self._current = Join(grace, self.answers, callers=self._callers)
        self._previous: Join | None = None
        self._epoch_end: datetime | None = None
        self._recent: deque[JoinedEvent] = deque()
        self._latest: dict[str, list[JoinedEvent]] = {}

    def advance(self, now: datetime) -> None:
        if self._epoch_end is None:
            self._epoch_end = now + self._epoch
        while now >= self._epoch_end:
            if self._previous is not None:
                self._previous.tick(now)
            self._previous, self._current = (
                self._current,
                Join(self._grace, self.answers, callers=self._callers),
            )
            cutoff = self._epoch_end - self._lookback
            while self._recent and self._recent[0].occurred_at < cutoff:
                self._recent.popleft()
            for events in self._latest.values():
                if events[0].occurred_at < cutoff:
                    for event in events:
                        self._current.lease(event)
            for event in self._recent:
                self._current.lease(event)
            self._epoch_end += self._epoch
        if self._previous is not None and now > self._epoch_end - self._epoch + self._grace:
            self._previous.tick(now)
            self._previous = None

    def finish(self, at: datetime) -> None:
        """Let stream time reach `at`, so calls still waiting out their grace are answered."""
        for join in (self._previous, self._current):
            if join is not None:
                join.tick(at)

    def lease(self, event: Answer) -> None:
        if not isinstance(event, JOINED):
            return
        self._current.lease(event)
        if self._previous is not None:
            self._previous.lease(event)
        self._recent.append(event)
        latest = self._latest.get(event.payload.number)
        if latest is None or latest[0].payload.lease_id != event.payload.lease_id:
            self._latest[event.payload.number] = [event]
        else:
            latest.append(event)

    def call(self, **call: object) -> None:
        self._current.call(**call)  # type: ignore[arg-type]


def _timeline(activity: Iterable[Activity], calls: Sequence[EngineCall]) -> Iterator[Activity | EngineCall]:
    # At the same instant activity goes first: a call placed as a page loads sees that page's answer.
    Keyed = tuple[datetime, int, int, Activity | EngineCall]
    keyed_activity: Iterator[Keyed] = ((a.at, 0, n, a) for n, a in enumerate(activity))
    keyed_calls: Iterator[Keyed] = ((c.at, 1, n, c) for n, c in enumerate(calls))
    for keyed in heapq.merge(keyed_activity, keyed_calls, key=lambda k: k[:3]):
        yield keyed[3]


def run(
    activity: Iterable[Activity],
    calls: Sequence[EngineCall],
    pool: PoolSetup,
    *,
    until: datetime | None = None,
    grace: timedelta = DEFAULT_GRACE,
    join_epoch: timedelta = timedelta(days=1),
    join_lookback: timedelta = timedelta(days=1),
    keep_events: bool = False,
) -> EngineResult:
    """Run `activity` and `calls` (each ordered by time) through the allocator and the join.

    Timers due by `until` (default: the last input) fire at the end, so the pool's state is complete.
    A call's answer sees the leases of its number up to `join_lookback` before its epoch (see `_Joins`).
    """
    allocator = Allocator(pool.policy())
    join = _Joins(grace, join_epoch, join_lookback)
    screens = _Screens()
    result = EngineResult(answers=join.answers, dialled={})
    last: datetime | None = None

    def publish(events: Sequence[Answer]) -> None:
        for event in events:
            screens.record(event)
            join.lease(event)
            if isinstance(event, LeaseGranted):
                result.granted += 1
            elif isinstance(event, LeaseDenied):
                result.denied += 1
            elif isinstance(event, PoolExhausted):
                result.exhausted_seconds += event.payload.duration_seconds
        if keep_events:
            result.lease_events.extend(events)

    for item in _timeline(activity, calls):
        last = item.at
        join.advance(item.at)
        if isinstance(item, Activity):
            if item.kind == "start":
                publish(allocator.start(item.at, item.visitor_id, item.visit_id, item.session))
            elif item.kind == "heartbeat":
                publish(allocator.heartbeat(item.at, item.visitor_id, item.visit_id, item.active))
            elif item.kind == "page":
                publish(allocator.heartbeat(item.at, item.visitor_id, item.visit_id, True, item.session))
            else:
                publish(allocator.leave(item.at, item.visitor_id, item.visit_id))
            continue
        publish(allocator.timers(item.at))
        if item.redial_of is not None:
            number = result.dialled.get(item.redial_of)
        elif item.visitor_id is not None and item.seen_at is not None:
            number = screens.at(item.visitor_id, item.seen_at) or item.tracking_number
        else:
            number = item.tracking_number
        result.dialled[item.call_id] = number
        if number is not None:
            join.call(
                call_id=item.call_id,
                at=item.at,
                caller_number=item.caller_number,
                tracking_number=number,
                role=pool.role(number),
            )
    end = until or last
    if end is not None:
        publish(allocator.timers(end))
        since = allocator.exhausted_since()
        if since is not None and since < end:
            result.exhausted_seconds += (end - since).total_seconds()
    if last is not None:
        join.finish(max(end or last, last) + grace)
    return result
