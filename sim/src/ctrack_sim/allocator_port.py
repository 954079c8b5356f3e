"""The one place the simulator touches the allocator's pure core (`number_allocator.domain`).

It turns tracker activity into the allocator's commands and runs them, and fires due timers, the
way the allocator service does (`decide` per command, `due_timers` on its sweep). When the core's
public names change, only this module needs to follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import count
from uuid import UUID

from ctrack_common.events import (
    LeaseDeferred,
    LeaseDenied,
    LeaseGranted,
    LeaseRenewed,
    LeaseRevoked,
    SessionSnapshot,
    StaticNumberAssigned,
)
from number_allocator.domain import (
    Answer,
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

__all__ = ["Allocator", "Answer", "PoolPolicy", "shown_number"]

EMPTY_SESSION = SessionSnapshot()


def shown_number(event: Answer) -> tuple[str, str | None] | None:
    """(visitor, number the tracker now shows them) when `event` changes what a visitor sees.

    A grant or renewal shows the pool number, a static assignment its channel number; a denial, a deferral or a revoke shows the default (or
    overflow) number the event names. A release or an expiry changes nothing on screen: the visitor
    has gone, and a number written down stays written down.
    """
    if isinstance(event, LeaseGranted | LeaseRenewed | StaticNumberAssigned):
        return event.payload.visitor_id, event.payload.number
    if isinstance(event, LeaseDenied | LeaseDeferred | LeaseRevoked):
        return event.payload.visitor_id, event.payload.default_number
    return None


@dataclass
class Allocator:
    """One pool's allocator on a simulated clock: its state and policy, one tenant and site."""

    policy: PoolPolicy
    tenant_id: str = "sim-tenant"
    site_id: str = "sim-site"
    pool_id: str = "sim-pool"

    def __post_init__(self) -> None:
        self.state = PoolState(self.pool_id)
        self._requests = count(1)

    def _request_id(self) -> UUID:
        """A fresh id per request, as the tracker's events have (a counter: uuid5 costs more than the policy)."""
        return UUID(int=next(self._requests))

    def start(
        self, at: datetime, visitor_id: str, visit_id: str, session: SessionSnapshot | None
    ) -> list[Answer]:
        return self._run(
            RequestNumber(
                request_id=self._request_id(),
                requested_at=at,
                tenant_id=self.tenant_id,
                site_id=self.site_id,
                pool_id=self.pool_id,
                visit_id=visit_id,
                visitor_id=visitor_id,
                session=session or EMPTY_SESSION,
                policy=self.policy,
            ),
            at,
        )

    def heartbeat(
        self,
        at: datetime,
        visitor_id: str,
        visit_id: str,
        active: bool = False,
        session: SessionSnapshot | None = None,
    ) -> list[Answer]:
        """A heartbeat, or (`active` with the new `session`) a page view of a single-page app."""
        return self._run(
            RenewLease(
                request_id=self._request_id(),
                requested_at=at,
                pool_id=self.pool_id,
                visit_id=visit_id,
                visitor_id=visitor_id,
                lease_seconds=self.policy.lease_seconds,
                active=active,
                policy=self.policy,
                session=session,
            ),
            at,
        )

    def leave(self, at: datetime, visitor_id: str, visit_id: str) -> list[Answer]:
        return self._run(
            LeaveSite(
                request_id=self._request_id(),
                requested_at=at,
                pool_id=self.pool_id,
                visit_id=visit_id,
                visitor_id=visitor_id,
                policy=self.policy,
            ),
            at,
        )

    def timers(self, now: datetime) -> list[LeaseEvent]:
        """Every timer due at `now`, fired and folded (the allocator's sweep)."""
        fired = due_timers(self.state, self.policy, now)
        for event in fired:
            self.state = evolve(self.state, event)
        return fired

    def exhausted_since(self) -> datetime | None:
        return self.state.exhausted_since

    def _run(self, command: RequestNumber | RenewLease | LeaveSite, now: datetime) -> list[Answer]:
        self.state, events = decide(self.state, command, now)
        return events
