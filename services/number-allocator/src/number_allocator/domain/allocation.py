"""Lease policies: which number a visitor gets, renewals, and expiry. Pure functions of (state, input, now).

- `choose_number` grants the pool number that has been free the longest (never one held by someone
  else); a visitor who already holds a live lease gets it back, renewed; when nothing is free the
  visitor is denied and shown the pool's default number.
- `renew` extends a live lease on a heartbeat.
- `expire_due` ends the leases whose time has passed, each at its own `expires_at`.
- `decide` is what the allocator runs per command: expire what is due, then answer, and fold.

Event ids are derived from the request's event id. A redelivered request is recognised (its
answer's id is among its lease's answers) and gets the lease's latest fact again, never a second
number; a request older than a lease length is stale and gets no answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from ctrack_common.events import (
    LeaseDenied,
    LeaseDeniedPayload,
    LeaseExpired,
    LeaseExpiredPayload,
    LeaseGranted,
    LeaseGrantedPayload,
    LeaseRenewed,
    LeaseRenewedPayload,
    SessionSnapshot,
    event_id_for,
)
from number_allocator.domain.pool_state import Lease, LeaseEvent, PoolState, evolve

__all__ = [
    "Command",
    "PoolPolicy",
    "RenewLease",
    "RequestNumber",
    "choose_number",
    "decide",
    "expire_due",
    "renew",
]

NEVER_LEASED = datetime.min.replace(tzinfo=UTC)
DIRECT_SOURCE = "(direct)"


@dataclass(frozen=True)
class PoolPolicy:
    """The pool's configuration as the allocator applies it."""

    numbers: tuple[str, ...]
    lease_seconds: int
    default_number: str | None = None


@dataclass(frozen=True)
class RequestNumber:
    """A visitor on a page asks for a number (from a `VisitStarted` event with id `request_id`)."""

    request_id: UUID
    requested_at: datetime
    tenant_id: str
    site_id: str | None
    pool_id: str
    visit_id: str
    visitor_id: str
    session: SessionSnapshot
    policy: PoolPolicy


@dataclass(frozen=True)
class RenewLease:
    """A visitor's page is still open (from a `VisitHeartbeat` event with id `request_id`)."""

    request_id: UUID
    requested_at: datetime
    pool_id: str
    visit_id: str
    visitor_id: str
    lease_seconds: int


Command = RequestNumber | RenewLease


def _answered(lease: Lease, request_id: UUID) -> bool:
    """Whether this very request was already answered with an event of `lease` (a redelivery)."""
    ids = {event_id_for("LeaseGranted", request_id), event_id_for("LeaseRenewed", request_id)}
    return not ids.isdisjoint(lease.answers)


def _session_in_force(current: SessionSnapshot, arriving: SessionSnapshot) -> SessionSnapshot:
    """A new page view replaces the snapshot only when it brings a source: direct never overrides a campaign."""
    if arriving.source in (None, DIRECT_SOURCE):
        return current
    return arriving


def _longest_free(state: PoolState, policy: PoolPolicy) -> str | None:
    free = [n for n in policy.numbers if n not in state.leases]
    return min(free, key=lambda n: (state.freed_at.get(n, NEVER_LEASED), n), default=None)


def _renewed(
    lease: Lease,
    *,
    request_id: UUID,
    visit_id: str,
    session: SessionSnapshot,
    expires_at: datetime,
    pool_id: str,
    now: datetime,
) -> LeaseRenewed:
    return LeaseRenewed(
        event_id=event_id_for("LeaseRenewed", request_id),
        occurred_at=now,
        recorded_at=now,
        tenant_id=lease.tenant_id,
        site_id=lease.site_id,
        payload=LeaseRenewedPayload(
            lease_id=lease.lease_id,
            pool_id=pool_id,
            number=lease.number,
            visitor_id=lease.visitor_id,
            visit_id=visit_id,
            expires_at=expires_at,
            session=session,
        ),
    )


def choose_number(
    state: PoolState, request: RequestNumber, now: datetime
) -> LeaseGranted | LeaseRenewed | LeaseDenied:
    """The answer to a visitor asking for a number at `now` (expire due leases first: see `decide`)."""
    expires_at = now + timedelta(seconds=request.policy.lease_seconds)
    held = state.lease_of(request.visitor_id)
    if held is not None:
        if _answered(held, request.request_id):
            return held.last_event
        session = _session_in_force(held.session, request.session)
        return _renewed(
            held,
            request_id=request.request_id,
            visit_id=request.visit_id,
            session=session,
            expires_at=expires_at,
            pool_id=state.pool_id,
            now=now,
        )
    number = _longest_free(state, request.policy)
    if number is None:
        return LeaseDenied(
            event_id=event_id_for("LeaseDenied", request.request_id),
            occurred_at=now,
            recorded_at=now,
            tenant_id=request.tenant_id,
            site_id=request.site_id,
            payload=LeaseDeniedPayload(
                pool_id=state.pool_id,
                visitor_id=request.visitor_id,
                visit_id=request.visit_id,
                reason="pool_exhausted" if request.policy.numbers else "pool_empty",
                default_number=request.policy.default_number,
            ),
        )
    return LeaseGranted(
        event_id=event_id_for("LeaseGranted", request.request_id),
        occurred_at=now,
        recorded_at=now,
        tenant_id=request.tenant_id,
        site_id=request.site_id,
        payload=LeaseGrantedPayload(
            lease_id=str(event_id_for("lease", request.request_id)),
            pool_id=state.pool_id,
            number=number,
            visitor_id=request.visitor_id,
            visit_id=request.visit_id,
            expires_at=expires_at,
            session=request.session,
        ),
    )


def renew(state: PoolState, heartbeat: RenewLease, now: datetime) -> LeaseRenewed | None:
    """The renewal of the visitor's live lease, or None when they hold none (nothing to renew)."""
    held = state.lease_of(heartbeat.visitor_id)
    if held is None or held.expires_at <= now:
        return None
    if _answered(held, heartbeat.request_id):
        return held.last_event if isinstance(held.last_event, LeaseRenewed) else None
    expires_at = now + timedelta(seconds=heartbeat.lease_seconds)
    return _renewed(
        held,
        request_id=heartbeat.request_id,
        visit_id=heartbeat.visit_id,
        session=held.session,
        expires_at=expires_at,
        pool_id=state.pool_id,
        now=now,
    )


def expire_due(state: PoolState, now: datetime) -> list[LeaseExpired]:
    """Leases whose `expires_at` has passed, each ended at its own `expires_at` (oldest first)."""
    due = sorted(
        (lease for lease in state.leases.values() if lease.expires_at <= now), key=lambda x: x.expires_at
    )
    return [
        LeaseExpired(
            event_id=event_id_for(lease.lease_id, "expired"),
            occurred_at=lease.expires_at,
            recorded_at=now,
            tenant_id=lease.tenant_id,
            site_id=lease.site_id,
            payload=LeaseExpiredPayload(
                lease_id=lease.lease_id,
                pool_id=state.pool_id,
                number=lease.number,
                visitor_id=lease.visitor_id,
            ),
        )
        for lease in due
    ]


def _stale(command: Command, now: datetime) -> bool:
    """A request older than a lease length has had its answer (or its page is gone): answering now would
    hold a number nobody shows, and, for a redelivery whose lease has ended, reuse an answer's event id."""
    lease_seconds = (
        command.policy.lease_seconds if isinstance(command, RequestNumber) else command.lease_seconds
    )
    return now - command.requested_at >= timedelta(seconds=lease_seconds)


def decide(state: PoolState, command: Command, now: datetime) -> tuple[PoolState, list[LeaseEvent]]:
    """Expire what is due at `now`, then answer `command` unless it is stale; the new state and the
    events to publish, in order."""
    events: list[LeaseEvent] = list(expire_due(state, now))
    answer: LeaseEvent | None = None
    match command:
        case _ if _stale(command, now):
            pass
        case RequestNumber():
            answer = choose_number(_folded(state, events), command, now)
        case RenewLease():
            answer = renew(_folded(state, events), command, now)
    if answer is not None:
        events.append(answer)
    return _folded(state, events), events


def _folded(state: PoolState, events: list[LeaseEvent]) -> PoolState:
    for event in events:
        state = evolve(state, event)
    return state
