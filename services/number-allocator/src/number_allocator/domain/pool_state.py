"""A pool's lease state as a fold over its events on the `leases` topic: `evolve(state, event)`.

The state holds who holds which number until when, which numbers are on hold for their last holder
and until when, who waits for a deferred grant (delayed display), when each number was last freed
(the allocator hands out the number free the longest), and since when the pool is exhausted.
Timers (expiry, revoke, hold end, deferred grant) are events too, so rebuilding the state is
replaying the pool's events.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypeVar
from uuid import UUID

from ctrack_common.events import (
    LeaseDeferralCancelled,
    LeaseDeferred,
    LeaseDenied,
    LeaseExpired,
    LeaseGranted,
    LeaseHoldEnded,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    PoolExhausted,
    SessionSnapshot,
)

__all__ = [
    "LEASE_EVENT_TYPES",
    "Hold",
    "LastHolder",
    "Lease",
    "LeaseEvent",
    "Paused",
    "PoolState",
    "RecentAnswers",
    "evolve",
]

LeaseEvent = (
    LeaseGranted
    | LeaseRenewed
    | LeaseExpired
    | LeaseDenied
    | LeaseReleased
    | LeaseRevoked
    | LeaseHoldEnded
    | LeaseDeferred
    | LeaseDeferralCancelled
    | PoolExhausted
)
LEASE_EVENT_TYPES = (
    LeaseGranted,
    LeaseRenewed,
    LeaseExpired,
    LeaseDenied,
    LeaseReleased,
    LeaseRevoked,
    LeaseHoldEnded,
    LeaseDeferred,
    LeaseDeferralCancelled,
    PoolExhausted,
)


@dataclass(frozen=True)
class Lease:
    """A number bound to a visitor until `expires_at`; `last_event` is the latest fact about it.

    `answers` holds the ids of every event of this lease (grant and renewals): a redelivered
    request whose answer is among them is recognised and gets no new fact, only `last_event` again.
    `active_at` is the visitor's last activity (idle reclaim counts from it).
    """

    lease_id: str
    number: str
    visitor_id: str
    expires_at: datetime
    session: SessionSnapshot
    tenant_id: str
    site_id: str | None
    last_event: LeaseGranted | LeaseRenewed
    answers: frozenset[UUID]
    active_at: datetime


@dataclass(frozen=True)
class Hold:
    """After a lease ended, its number is kept for its last holder until `until`."""

    visitor_id: str
    until: datetime
    lease_id: str
    tenant_id: str
    site_id: str | None


@dataclass(frozen=True)
class Paused:
    """A deferred grant cancelled by a leave (`left_at`): the visitor's time on site counts from their
    first page, so a visit soon after resumes the deferral's `grant_at` instead of starting the delay again."""

    grant_at: datetime
    left_at: datetime


@dataclass(frozen=True)
class LastHolder:
    """Who held a number last (a returning visitor gets it back)."""

    visitor_id: str


_K = TypeVar("_K")
_V = TypeVar("_V")
BUCKET_SECONDS = 300
# How long a deferral cancelled by a leave is kept at most, whatever the pool's hold (see `PoolState.paused`).
PAUSE_MEMORY = timedelta(hours=1)


class RecentAnswers(Mapping[UUID, datetime]):
    """Answer ids until the moment each goes stale: an immutable mapping whose updates share structure.

    Entries sit in buckets by the minute they go stale, and the horizon (the latest event time folded)
    hides every entry stale at or before it. Adding or pruning copies one small bucket and the tuple of
    buckets, never the whole map, so the cost of an event does not grow with traffic x lease length;
    whole buckets behind the horizon are dropped. Equality is the mapping's (what is visible).
    """

    __slots__ = ("_buckets", "_horizon")

    def __init__(
        self, buckets: tuple[tuple[int, dict[int, datetime]], ...] = (), horizon: datetime | None = None
    ) -> None:
        self._buckets = buckets  # (minute key, {id as int: stale at}), ascending by key
        self._horizon = horizon

    def _find(self, key: int) -> datetime | None:
        for _, bucket in reversed(self._buckets):  # recent answers are asked for most
            stale_at = bucket.get(key)
            if stale_at is not None:
                return stale_at
        return None

    def __getitem__(self, answer_id: UUID) -> datetime:
        stale_at = self._find(answer_id.int)
        if stale_at is None or (self._horizon is not None and stale_at <= self._horizon):
            raise KeyError(answer_id)
        return stale_at

    def __contains__(self, answer_id: object) -> bool:
        return isinstance(answer_id, UUID) and self.get(answer_id) is not None

    def __iter__(self) -> Iterator[UUID]:
        for _, bucket in self._buckets:
            for key, stale_at in bucket.items():
                if self._horizon is None or stale_at > self._horizon:
                    yield UUID(int=key)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"RecentAnswers({dict(self.items())!r})"

    def pruned(self, at: datetime) -> RecentAnswers:
        """Without the entries stale at or before `at` (the horizon never moves back)."""
        if self._horizon is not None and at <= self._horizon:
            return self
        limit = int(at.timestamp()) // BUCKET_SECONDS  # buckets before it are entirely stale
        keep = 0
        while keep < len(self._buckets) and self._buckets[keep][0] < limit:
            keep += 1
        return RecentAnswers(self._buckets[keep:], at)

    def with_answer(self, answer_id: UUID, stale_at: datetime, *, latest: bool = False) -> RecentAnswers:
        """With `answer_id` kept until `stale_at`: an id already kept keeps its moment, or (`latest`)
        the later of the two."""
        key = answer_id.int
        known = self._find(key)
        visible = known is not None and (self._horizon is None or known > self._horizon)
        if visible and known is not None and (not latest or known >= stale_at):
            return self
        buckets = list(self._buckets)
        if known is not None:  # one entry per id: a hidden or superseded one goes
            index = self._bucket_index(known)
            shrunk = dict(buckets[index][1])
            del shrunk[key]
            buckets[index] = (buckets[index][0], shrunk)
        minute = int(stale_at.timestamp()) // BUCKET_SECONDS
        keys = [k for k, _ in buckets]
        index = bisect_left(keys, minute)
        if index < len(buckets) and buckets[index][0] == minute:
            grown = dict(buckets[index][1])
            grown[key] = stale_at
            buckets[index] = (minute, grown)
        else:
            buckets.insert(index, (minute, {key: stale_at}))
        return RecentAnswers(tuple(buckets), self._horizon)

    def _bucket_index(self, stale_at: datetime) -> int:
        minute = int(stale_at.timestamp()) // BUCKET_SECONDS
        return next(i for i, (k, _) in enumerate(self._buckets) if k == minute)


@dataclass(frozen=True)
class PoolState:
    """Live leases, holds and last holders by number; deferred grants by visitor; exhaustion (since
    when, how many denials, and the ids of its denials, so a redelivered denied request is recognised).

    `recent_answers` keeps the id of each recent grant, renewal and deferral until its request is stale
    for sure or answered otherwise (the answer's `expires_at`; a deferral's `grant_at`, or the
    expiry of the lease it turned into: a request older than a lease length gets no answer), so a request
    redelivered after its lease ended is recognised and never answered again under the same id. Entries are dropped by
    event time alone, so a rebuild drops them alike.
    """

    pool_id: str
    leases: Mapping[str, Lease] = field(default_factory=lambda: MappingProxyType({}))
    freed_at: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    holds: Mapping[str, Hold] = field(default_factory=lambda: MappingProxyType({}))
    last_holders: Mapping[str, LastHolder] = field(default_factory=lambda: MappingProxyType({}))
    deferred: Mapping[str, LeaseDeferred] = field(default_factory=lambda: MappingProxyType({}))
    exhausted_since: datetime | None = None
    denied_while_exhausted: int = 0
    exhausted_tenant: tuple[str, str | None] = ("", None)
    denials: frozenset[UUID] = frozenset()
    recent_answers: RecentAnswers = field(default_factory=RecentAnswers)
    paused: Mapping[str, Paused] = field(default_factory=lambda: MappingProxyType({}))
    paused_swept_at: datetime | None = None
    # Visitor -> number indexes of `leases`, `holds` and `last_holders` (derived: no part in equality).
    lease_numbers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), compare=False)
    hold_numbers: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )
    last_held: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: MappingProxyType({}), compare=False
    )
    # Lower bounds of the next timer (expiry, hold end, deferred grant) and of the leases' last activity
    # (idle reclaim counts from it): while both are ahead, nothing is due and no lease is scanned.
    # A cache, not a fact: it takes no part in equality.
    timer_floor: datetime | None = field(default=None, compare=False)
    active_floor: datetime | None = field(default=None, compare=False)

    def with_floors_lowered(self, timer_at: datetime | None, active_at: datetime | None = None) -> PoolState:
        """The same state, its timer floors lowered to a new timer at `timer_at` and a lease active at `active_at`."""
        return _with(
            self,
            timer_floor=_lowest(self.timer_floor, timer_at),
            active_floor=_lowest(self.active_floor, active_at),
        )

    def with_floors_exact(self) -> PoolState:
        """The same state with its timer floors set to the earliest pending timer and lease activity."""
        timers = [lease.expires_at for lease in self.leases.values()]
        timers += [hold.until for hold in self.holds.values()]
        timers += [pending.payload.grant_at for pending in self.deferred.values()]
        active = [lease.active_at for lease in self.leases.values()]
        return _with(self, timer_floor=min(timers, default=None), active_floor=min(active, default=None))

    def lease_of(self, visitor_id: str) -> Lease | None:
        number = self.lease_numbers.get(visitor_id)
        return self.leases.get(number) if number is not None else None

    def hold_of(self, visitor_id: str) -> str | None:
        """A number on hold for `visitor_id`, if any (the smallest, when several are)."""
        numbers = self.hold_numbers.get(visitor_id)
        return min(numbers) if numbers else None


def _with(state: PoolState, **changes: object) -> PoolState:
    """`dataclasses.replace` without re-running `__init__` (a state changes on every event)."""
    changed = object.__new__(PoolState)
    changed.__dict__.update(state.__dict__)
    changed.__dict__.update(changes)
    return changed


def _reindexed(
    index: Mapping[str, frozenset[str]], number: str, before: str | None, after: str | None
) -> MappingProxyType:  # type: ignore[type-arg]
    """A visitor -> numbers index after `number` moved from visitor `before` to visitor `after`."""
    changed = _copy(index)
    if before is not None:
        left = changed.get(before, frozenset()) - {number}
        if left:
            changed[before] = left
        else:
            changed.pop(before, None)
    if after is not None:
        changed[after] = changed.get(after, frozenset()) | {number}
    return MappingProxyType(changed)


def _holds_set(state: PoolState, number: str, hold: Hold | None) -> dict[str, object]:
    """The changes of `holds` and its visitor index when `number`'s hold becomes `hold`."""
    previous = state.holds.get(number)
    before = previous.visitor_id if previous is not None else None
    after = hold.visitor_id if hold is not None else None
    return {
        "holds": _set(state.holds, number, hold),
        "hold_numbers": _reindexed(state.hold_numbers, number, before, after),
    }


def _lowest(floor: datetime | None, at: datetime | None) -> datetime | None:
    if at is None:
        return floor
    return at if floor is None or at < floor else floor


def _bound(event: LeaseGranted | LeaseRenewed, previous: Lease | None) -> Lease:
    same = previous is not None and previous.lease_id == event.payload.lease_id
    earlier = previous.answers if previous is not None and same else frozenset()
    if isinstance(event, LeaseRenewed) and event.payload.active_at is not None:
        active_at = event.payload.active_at
    elif isinstance(event, LeaseRenewed) and previous is not None and same:
        active_at = previous.active_at
    else:
        active_at = event.occurred_at
    return Lease(
        lease_id=event.payload.lease_id,
        number=event.payload.number,
        visitor_id=event.payload.visitor_id,
        expires_at=event.payload.expires_at,
        session=event.payload.session,
        tenant_id=event.tenant_id,
        site_id=event.site_id,
        last_event=event,
        answers=earlier | {event.event_id},
        active_at=active_at,
    )


def _copy(mapping: Mapping[_K, _V]) -> dict[_K, _V]:
    """A dict copy; a proxy's own `copy` is the fast one."""
    return mapping.copy() if isinstance(mapping, MappingProxyType) else dict(mapping)


def _set(mapping: Mapping[str, object], key: str, value: object | None) -> MappingProxyType:  # type: ignore[type-arg]
    changed = _copy(mapping)
    if value is None:
        changed.pop(key, None)
    else:
        changed[key] = value
    return MappingProxyType(changed)


def _ended(state: PoolState, event: LeaseExpired | LeaseReleased | LeaseRevoked) -> PoolState:
    number = event.payload.number
    current = state.leases.get(number)
    if current is None or current.lease_id != event.payload.lease_id:
        return state
    until = event.payload.hold_until
    hold = (
        Hold(current.visitor_id, until, current.lease_id, current.tenant_id, current.site_id)
        if until is not None and until > event.occurred_at
        else None
    )
    last = state.last_holders.get(number)
    lease_numbers = state.lease_numbers
    if lease_numbers.get(current.visitor_id) == number:
        lease_numbers = _set(lease_numbers, current.visitor_id, None)
    return _with(
        state,
        leases=_set(state.leases, number, None),
        lease_numbers=lease_numbers,
        **_holds_set(state, number, hold) if hold is not None or number in state.holds else {},
        freed_at=_set(state.freed_at, number, event.occurred_at),
        last_holders=_set(state.last_holders, number, LastHolder(current.visitor_id)),
        last_held=_reindexed(state.last_held, number, last.visitor_id if last else None, current.visitor_id),
    ).with_floors_lowered(hold.until if hold is not None else None)


def evolve(state: PoolState, event: LeaseEvent) -> PoolState:
    """The pool state after `event`; applying the same event twice changes nothing more."""
    recent = state.recent_answers.pruned(event.occurred_at)
    if recent is not state.recent_answers:
        state = _with(state, recent_answers=recent)
    swept = state.paused_swept_at
    if state.paused and (swept is None or event.occurred_at >= swept + PAUSE_MEMORY):
        kept = {v: p for v, p in state.paused.items() if p.left_at + PAUSE_MEMORY > event.occurred_at}
        state = _with(state, paused=MappingProxyType(kept), paused_swept_at=event.occurred_at)
    return _evolve(state, event)


def _evolve(state: PoolState, event: LeaseEvent) -> PoolState:
    match event:
        case LeaseGranted() | LeaseRenewed():
            number, visitor = event.payload.number, event.payload.visitor_id
            recent = state.recent_answers.with_answer(event.event_id, event.payload.expires_at)
            pending = state.deferred.get(visitor)
            if pending is not None:  # the deferred request is answered until this lease's first expiry
                recent = recent.with_answer(pending.event_id, event.payload.expires_at, latest=True)
            bound = _bound(event, state.leases.get(number))
            return _with(
                state,
                leases=_set(state.leases, number, bound),
                lease_numbers=_set(state.lease_numbers, visitor, number),
                **_holds_set(state, number, None) if number in state.holds else {},
                deferred=_set(state.deferred, visitor, None) if visitor in state.deferred else state.deferred,
                paused=_set(state.paused, visitor, None) if visitor in state.paused else state.paused,
                recent_answers=recent,
            ).with_floors_lowered(bound.expires_at, bound.active_at)
        case LeaseExpired() | LeaseReleased() | LeaseRevoked():
            return _ended(state, event)
        case LeaseHoldEnded():
            hold = state.holds.get(event.payload.number)
            if hold is None or hold.visitor_id != event.payload.visitor_id:
                return state
            return _with(state, **_holds_set(state, event.payload.number, None))
        case LeaseDeferred():
            visitor = event.payload.visitor_id
            return _with(
                state,
                deferred=_set(state.deferred, visitor, event),
                paused=_set(state.paused, visitor, None) if visitor in state.paused else state.paused,
                recent_answers=state.recent_answers.with_answer(event.event_id, event.payload.grant_at),
            ).with_floors_lowered(event.payload.grant_at)
        case LeaseDeferralCancelled():
            pending = state.deferred.get(event.payload.visitor_id)
            if pending is None or pending.payload.visit_id != event.payload.visit_id:
                return state
            visitor = event.payload.visitor_id
            return _with(
                state,
                deferred=_set(state.deferred, visitor, None),
                paused=_set(state.paused, visitor, Paused(pending.payload.grant_at, event.occurred_at)),
            )
        case LeaseDenied():
            if event.event_id in state.denials:
                return state
            return _with(
                state,
                deferred=_set(state.deferred, event.payload.visitor_id, None),
                exhausted_since=state.exhausted_since or event.occurred_at,
                exhausted_tenant=(event.tenant_id, event.site_id),
                denied_while_exhausted=state.denied_while_exhausted + 1,
                denials=state.denials | {event.event_id},
            )
        case PoolExhausted():
            return _with(state, exhausted_since=None, denied_while_exhausted=0, denials=frozenset())
