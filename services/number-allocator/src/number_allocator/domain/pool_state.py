"""A pool's lease state as a fold over its events on the `leases` topic: `evolve(state, event)`.

The state holds who holds which number until when, and when each number was last freed (the
allocator hands out the number free the longest). Rebuilding it is replaying the pool's events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from uuid import UUID

from ctrack_common.events import LeaseDenied, LeaseExpired, LeaseGranted, LeaseRenewed, SessionSnapshot

__all__ = ["Lease", "LeaseEvent", "PoolState", "evolve"]

LeaseEvent = LeaseGranted | LeaseRenewed | LeaseExpired | LeaseDenied


@dataclass(frozen=True)
class Lease:
    """A number bound to a visitor until `expires_at`; `last_event` is the latest fact about it.

    `answers` holds the ids of every event of this lease (grant and renewals): a redelivered
    request whose answer is among them is recognised and gets no new fact, only `last_event` again.
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


@dataclass(frozen=True)
class PoolState:
    """Live leases by number, and the moment each number's last lease ended."""

    pool_id: str
    leases: Mapping[str, Lease] = field(default_factory=lambda: MappingProxyType({}))
    freed_at: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))

    def lease_of(self, visitor_id: str) -> Lease | None:
        return next((lease for lease in self.leases.values() if lease.visitor_id == visitor_id), None)


def _bound(event: LeaseGranted | LeaseRenewed, previous: Lease | None) -> Lease:
    earlier = (
        previous.answers
        if previous is not None and previous.lease_id == event.payload.lease_id
        else frozenset()
    )
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
    )


def evolve(state: PoolState, event: LeaseEvent) -> PoolState:
    """The pool state after `event`; applying the same event twice changes nothing more."""
    match event:
        case LeaseGranted() | LeaseRenewed():
            leases = dict(state.leases)
            leases[event.payload.number] = _bound(event, state.leases.get(event.payload.number))
            return replace(state, leases=MappingProxyType(leases))
        case LeaseExpired():
            current = state.leases.get(event.payload.number)
            if current is None or current.lease_id != event.payload.lease_id:
                return state
            leases = dict(state.leases)
            del leases[event.payload.number]
            freed = dict(state.freed_at)
            freed[event.payload.number] = event.occurred_at
            return replace(state, leases=MappingProxyType(leases), freed_at=MappingProxyType(freed))
        case LeaseDenied():
            return state
