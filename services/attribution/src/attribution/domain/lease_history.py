"""Lease history of one number: who held it, from when to when, with which session snapshot.

The history is a fold over the number's lease events that does not depend on
the order they arrive in, and ignores duplicates (same event id), because the
join sees them after a re-key and again after every restart. A lease matches
calls over the half-open interval [granted_at, hold_until): `end` is the first
of release, expiry or revoke, and the hold after it (kept for the last holder)
ends at the `hold_until` that ending carries (no hold: `end`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from ctrack_common.events import (
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    SessionSnapshot,
)

__all__ = ["LeaseEvent", "LeaseHistory", "LeaseInterval"]

LeaseEvent = LeaseGranted | LeaseRenewed | LeaseExpired | LeaseReleased | LeaseRevoked
# A lease ends at the first of expiry, release (the visitor left) or revoke (idle tab reclaimed).
LEASE_ENDINGS = (LeaseExpired, LeaseReleased, LeaseRevoked)


@dataclass(frozen=True)
class LeaseInterval:
    """One lease as a half-open interval [granted_at, hold_until) with the snapshots in force over time.

    `end` is the time the lease ended (the first of expiry, release or revoke) once it ended, otherwise
    the latest `expires_at` seen (renewals extend it). `hold_until` is the end of the hold that followed
    (never before `end`). `snapshots` is sorted by the time each took effect.
    """

    lease_id: str
    tenant_id: str
    site_id: str | None
    visitor_id: str
    visit_id: str
    granted_at: datetime
    end: datetime
    ended: bool
    snapshots: tuple[tuple[datetime, SessionSnapshot], ...]
    hold_until: datetime | None = None

    @property
    def match_end(self) -> datetime:
        """The end of the matching interval: the hold's end, or the lease's when there was no hold."""
        return self.end if self.hold_until is None or self.hold_until < self.end else self.hold_until

    def contains(self, moment: datetime) -> bool:
        return self.granted_at <= moment < self.match_end

    def live_at(self, moment: datetime) -> bool:
        """The lease itself (not its hold) was in force at `moment`."""
        return self.granted_at <= moment < self.end

    def snapshot_at(self, moment: datetime) -> SessionSnapshot:
        """The snapshot in force at `moment`: the last one that took effect at or before it."""
        in_force = self.snapshots[0][1]
        for effective_from, snapshot in self.snapshots:
            if effective_from > moment:
                break
            in_force = snapshot
        return in_force


def _interval(events: list[LeaseEvent]) -> LeaseInterval | None:
    grants = [e for e in events if isinstance(e, LeaseGranted)]
    renewals = [e for e in events if isinstance(e, LeaseRenewed)]
    expiries = [e for e in events if isinstance(e, LEASE_ENDINGS)]
    holders: list[LeaseGranted | LeaseRenewed] = [*grants, *renewals]
    if not holders:
        return None  # only an expiry seen: without a start there is no interval to match against
    # A grant marks the start; without one (not yet arrived) the earliest renewal is the best known start.
    start = min(e.occurred_at for e in grants) if grants else min(e.occurred_at for e in renewals)
    ended = bool(expiries)
    end = min(e.occurred_at for e in expiries) if ended else max(e.payload.expires_at for e in holders)
    # The ending that came first decides the hold; ties broken by event id so the fold stays order-free.
    first_ending = min(expiries, key=lambda e: (e.occurred_at, str(e.event_id))) if ended else None
    ordered = sorted(holders, key=lambda e: (e.occurred_at, isinstance(e, LeaseRenewed), str(e.event_id)))
    latest = ordered[-1]
    return LeaseInterval(
        lease_id=latest.payload.lease_id,
        tenant_id=latest.tenant_id,
        site_id=latest.site_id,
        visitor_id=latest.payload.visitor_id,
        visit_id=latest.payload.visit_id,
        granted_at=start,
        end=end,
        ended=ended,
        snapshots=tuple((e.occurred_at, e.payload.session) for e in ordered),
        hold_until=first_ending.payload.hold_until if first_ending is not None else None,
    )


class LeaseHistory:
    """Every lease of one number, folded from its lease events."""

    def __init__(self) -> None:
        self._seen: set[uuid.UUID] = set()
        self._events_by_lease: dict[str, list[LeaseEvent]] = {}
        self._intervals: dict[str, LeaseInterval] = {}
        # Sorted intervals per tenant, rebuilt only after a change: the join reads them on every call.
        self._sorted: dict[str, list[LeaseInterval]] = {}

    def apply(self, event: LeaseEvent) -> bool:
        """Fold one event in; False when it was already known (a duplicate changes nothing)."""
        if event.event_id in self._seen:
            return False
        self._seen.add(event.event_id)
        lease_id = event.payload.lease_id
        events = self._events_by_lease.setdefault(lease_id, [])
        events.append(event)
        interval = _interval(events)
        if interval is not None:
            self._intervals[lease_id] = interval
            self._sorted.clear()
        return True

    def interval(self, lease_id: str) -> LeaseInterval | None:
        """One lease's interval (None: unknown, or only its ending seen so far)."""
        return self._intervals.get(lease_id)

    def intervals(self, tenant_id: str) -> list[LeaseInterval]:
        """The tenant's leases of this number (a number may move between tenants over time)."""
        ordered = self._sorted.get(tenant_id)
        if ordered is None:
            ordered = sorted(
                (i for i in self._intervals.values() if i.tenant_id == tenant_id),
                key=lambda i: (i.granted_at, i.lease_id),
            )
            self._sorted[tenant_id] = ordered
        return ordered

    def events(self) -> list[LeaseEvent]:
        """Every distinct event folded in, in a stable order (what the join's state stores)."""
        return sorted(
            (e for events in self._events_by_lease.values() for e in events),
            key=lambda e: (e.occurred_at, str(e.event_id)),
        )

    def holding_at(self, tenant_id: str, moment: datetime) -> list[LeaseInterval]:
        """Leases whose interval (hold included) contains `moment`, in grant order."""
        return [i for i in self.intervals(tenant_id) if i.contains(moment)]

    def leased_before(self, tenant_id: str, moment: datetime) -> bool:
        return any(i.granted_at <= moment for i in self.intervals(tenant_id))

    def last_before(self, tenant_id: str, moment: datetime) -> LeaseInterval | None:
        """The lease that stopped matching last at or before `moment` (hold included): the last holder.

        When no interval contains `moment`, nobody held the number between its end and `moment`.
        """
        ended = [i for i in self.intervals(tenant_id) if i.match_end <= moment]
        return max(ended, key=lambda i: (i.match_end, i.granted_at, i.lease_id)) if ended else None

    def visitors_between(self, tenant_id: str, start: datetime, moment: datetime) -> set[str]:
        """Distinct visitors whose interval overlapped [start, moment]: facts before the call only."""
        return {
            i.visitor_id for i in self.intervals(tenant_id) if i.granted_at <= moment and i.match_end > start
        }

    def prune(self, before: datetime) -> None:
        """Forget the leases that stopped matching before `before` (retention)."""
        for lease_id, interval in list(self._intervals.items()):
            if interval.match_end < before:
                for event in self._events_by_lease.pop(lease_id, []):
                    self._seen.discard(event.event_id)
                del self._intervals[lease_id]
                self._sorted.clear()
