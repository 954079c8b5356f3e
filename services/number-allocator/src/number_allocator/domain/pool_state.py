"""A pool's lease state as a fold over its events on the `leases` topic: `evolve(state, event)`.

The state holds who holds which number until when, which numbers are on hold for their last holder
and until when, who waits for a deferred grant (delayed display), when each number was last freed
(the allocator hands out the number free the longest), and since when the pool is exhausted.
Timers (expiry, revoke, hold end, deferred grant) are events too, so rebuilding the state is
replaying the pool's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
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

__all__ = ["LEASE_EVENT_TYPES", "Hold", "LastHolder", "Lease", "LeaseEvent", "PoolState", "evolve"]

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
class LastHolder:
    """Who held a number last (a returning visitor gets it back)."""

    visitor_id: str


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
    recent_answers: Mapping[UUID, datetime] = field(default_factory=lambda: MappingProxyType({}))

    def lease_of(self, visitor_id: str) -> Lease | None:
        return next((lease for lease in self.leases.values() if lease.visitor_id == visitor_id), None)

    def hold_of(self, visitor_id: str) -> str | None:
        """The number on hold for `visitor_id`, if any."""
        return next((n for n, hold in self.holds.items() if hold.visitor_id == visitor_id), None)


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


def _set(mapping: Mapping[str, object], key: str, value: object | None) -> MappingProxyType:  # type: ignore[type-arg]
    changed = dict(mapping)
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
    return replace(
        state,
        leases=_set(state.leases, number, None),
        holds=_set(state.holds, number, hold),
        freed_at=_set(state.freed_at, number, event.occurred_at),
        last_holders=_set(state.last_holders, number, LastHolder(current.visitor_id)),
    )


def _pruned(grants: Mapping[UUID, datetime], at: datetime) -> Mapping[UUID, datetime]:
    if all(stale_at > at for stale_at in grants.values()):
        return grants
    return MappingProxyType({k: v for k, v in grants.items() if v > at})


def evolve(state: PoolState, event: LeaseEvent) -> PoolState:
    """The pool state after `event`; applying the same event twice changes nothing more."""
    recent = _pruned(state.recent_answers, event.occurred_at)
    if recent is not state.recent_answers:
        state = replace(state, recent_answers=recent)
    return _evolve(state, event)


def _evolve(state: PoolState, event: LeaseEvent) -> PoolState:
    match event:
        case LeaseGranted() | LeaseRenewed():
            number, visitor = event.payload.number, event.payload.visitor_id
            recent = dict(state.recent_answers)
            recent.setdefault(event.event_id, event.payload.expires_at)
            pending = state.deferred.get(visitor)
            if pending is not None:  # the deferred request is answered until this lease's first expiry
                recent[pending.event_id] = max(
                    recent.get(pending.event_id, event.occurred_at), event.payload.expires_at
                )
            return replace(
                state,
                leases=_set(state.leases, number, _bound(event, state.leases.get(number))),
                holds=_set(state.holds, number, None),
                deferred=_set(state.deferred, visitor, None),
                recent_answers=MappingProxyType(recent),
            )
        case LeaseExpired() | LeaseReleased() | LeaseRevoked():
            return _ended(state, event)
        case LeaseHoldEnded():
            hold = state.holds.get(event.payload.number)
            if hold is None or hold.visitor_id != event.payload.visitor_id:
                return state
            return replace(state, holds=_set(state.holds, event.payload.number, None))
        case LeaseDeferred():
            recent = dict(state.recent_answers)
            recent.setdefault(event.event_id, event.payload.grant_at)
            return replace(
                state,
                deferred=_set(state.deferred, event.payload.visitor_id, event),
                recent_answers=MappingProxyType(recent),
            )
        case LeaseDeferralCancelled():
            pending = state.deferred.get(event.payload.visitor_id)
            if pending is None or pending.payload.visit_id != event.payload.visit_id:
                return state
            return replace(state, deferred=_set(state.deferred, event.payload.visitor_id, None))
        case LeaseDenied():
            if event.event_id in state.denials:
                return state
            return replace(
                state,
                deferred=_set(state.deferred, event.payload.visitor_id, None),
                exhausted_since=state.exhausted_since or event.occurred_at,
                exhausted_tenant=(event.tenant_id, event.site_id),
                denied_while_exhausted=state.denied_while_exhausted + 1,
                denials=state.denials | {event.event_id},
            )
        case PoolExhausted():
            return replace(state, exhausted_since=None, denied_while_exhausted=0, denials=frozenset())
