"""Lease policies: which number a visitor gets, renewals, leave, and timers. Pure functions of (state, input, now).

- `choose_number` grants the pool number that has been free the longest (never one held, on hold
  for someone else, or in quarantine); a returning visitor gets their previous number back when it
  is free or on hold for them; a visitor who already holds a live lease gets it back, renewed (with
  the new campaign's snapshot). With a display delay a new visitor's grant is deferred until they
  have been on the site that long. When nothing can be granted the visitor is denied and shown the
  overflow (or default) number; the pool's exhaustion is recorded when it ends (`PoolExhausted`).
- `renew` extends a live lease on a heartbeat; `leave` ends it (the visitor left).
- `due_timers` fires every timer that is due, in time order, each at its own moment: lease expiry,
  idle reclaim (revoke), hold end and deferred grants. Timers are events, so a fold of the log
  rebuilds the same state.
- `decide` is what the allocator runs per command: fire due timers, then answer, and fold.

Event ids are derived from the request's event id (or from the lease for timers). A redelivered
request is recognised (its answer's id is among the answers of the visitor's lease, or among the
pool's recent answers) and gets the lease's latest fact again or nothing, never a second number; a
request older than a lease length is stale and gets no answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache
from uuid import UUID

from ctrack_common.events import (
    LeaseDeferralCancelled,
    LeaseDeferralCancelledPayload,
    LeaseDeferred,
    LeaseDeferredPayload,
    LeaseDenied,
    LeaseDeniedPayload,
    LeaseExpired,
    LeaseExpiredPayload,
    LeaseGranted,
    LeaseGrantedPayload,
    LeaseHoldEnded,
    LeaseHoldEndedPayload,
    LeaseReleased,
    LeaseReleasedPayload,
    LeaseRenewed,
    LeaseRenewedPayload,
    LeaseRevoked,
    LeaseRevokedPayload,
    PoolExhausted,
    PoolExhaustedPayload,
    SessionSnapshot,
    StaticNumberAssigned,
    StaticNumberAssignedPayload,
    event_id_for,
)
from number_allocator.domain.pool_state import PAUSE_MEMORY, Lease, LeaseEvent, PoolState, evolve

__all__ = [
    "Answer",
    "Command",
    "LeaveSite",
    "PoolPolicy",
    "RenewLease",
    "RequestNumber",
    "StaticChoice",
    "available",
    "choose_number",
    "decide",
    "due_timers",
    "expire_due",
    "fire_timers",
    "leave",
    "renew",
]

NEVER_LEASED = datetime.min.replace(tzinfo=UTC)
# uuid5 is costly and a command asks for the same few ids several times (is it answered? then answer).
_id = lru_cache(maxsize=4096)(event_id_for)
DIRECT_SOURCE = "(direct)"


@dataclass(frozen=True)
class PoolPolicy:
    """The pool's configuration as the allocator applies it (durations in seconds).

    `available_from` holds the end of quarantine of numbers moved into the pool. `idle_reclaim_seconds`
    None never reclaims; `hold_seconds` 0 frees a number as soon as its lease ends.
    """

    numbers: tuple[str, ...]
    lease_seconds: int
    default_number: str | None = None
    hold_seconds: int = 0
    display_delay_seconds: int = 0
    idle_reclaim_seconds: int | None = None
    overflow_number: str | None = None
    default_before_display_number: str | None = None
    default_after_reclaim_number: str | None = None
    available_from: Mapping[str, datetime] = field(default_factory=dict)

    @cached_property
    def in_pool(self) -> frozenset[str]:
        """`numbers` as a set: membership is asked for every number on every request."""
        return frozenset(self.numbers)


@dataclass(frozen=True)
class StaticChoice:
    """The static rule a visit matched and its number's channel (the label of the static number)."""

    rule_id: str
    number: str
    channel: str | None


@dataclass(frozen=True)
class RequestNumber:
    """A visitor on a page asks for a number (from a `VisitStarted` event with id `request_id`).

    `static` is the static rule the visit matched, if any: the visit is shown its number unless the
    visitor already holds a lease or waits for a deferred grant (one visitor, one number in every tab).
    """

    request_id: UUID
    requested_at: datetime
    tenant_id: str
    site_id: str | None
    pool_id: str
    visit_id: str
    visitor_id: str
    session: SessionSnapshot
    policy: PoolPolicy
    static: StaticChoice | None = None


@dataclass(frozen=True)
class RenewLease:
    """A visitor's page is still open (from a `VisitHeartbeat` event with id `request_id`), or they opened
    another page (a `VisitPageViewed`: `active`, with the session's new snapshot in `session`)."""

    request_id: UUID
    requested_at: datetime
    pool_id: str
    visit_id: str
    visitor_id: str
    lease_seconds: int
    active: bool = False
    policy: PoolPolicy | None = None
    session: SessionSnapshot | None = None


@dataclass(frozen=True)
class LeaveSite:
    """The visitor left the site (from a `VisitLeft` event with id `request_id`)."""

    request_id: UUID
    requested_at: datetime
    pool_id: str
    visit_id: str
    visitor_id: str
    policy: PoolPolicy


Command = RequestNumber | RenewLease | LeaveSite
Answer = LeaseEvent | StaticNumberAssigned


def _policy_of(command: Command) -> PoolPolicy:
    if isinstance(command, RenewLease):
        return command.policy or PoolPolicy((), command.lease_seconds)
    return command.policy


VISIT_ANSWERS = ("LeaseGranted", "LeaseRenewed")
HEARTBEAT_ANSWERS = ("LeaseRenewed",)  # a heartbeat never gets a grant


def _answered(lease: Lease, request_id: UUID, kinds: tuple[str, ...] = VISIT_ANSWERS) -> bool:
    """Whether this very request was already answered with an event of `lease` (a redelivery)."""
    return any(_id(kind, request_id) in lease.answers for kind in kinds)


def _answered_before(state: PoolState, request_id: UUID, kinds: tuple[str, ...] = VISIT_ANSWERS) -> bool:
    """Whether the request was answered (granted or renewed) with a lease that has since ended."""
    return any(_id(kind, request_id) in state.recent_answers for kind in kinds)


def _session_in_force(current: SessionSnapshot, arriving: SessionSnapshot) -> SessionSnapshot:
    """A new page view replaces the snapshot only when it brings a source: direct never overrides a campaign."""
    if arriving.source in (None, DIRECT_SOURCE):
        return current
    return arriving


def available(
    state: PoolState, policy: PoolPolicy, number: str, visitor_id: str | None, at: datetime
) -> bool:
    """Whether `number` may be granted to `visitor_id` (None: to anyone) at `at`."""
    if number not in policy.in_pool or number in state.leases:
        return False
    hold = state.holds.get(number)
    if hold is not None and hold.visitor_id != visitor_id:
        return False
    return policy.available_from.get(number, NEVER_LEASED) <= at


def _free(state: PoolState, policy: PoolPolicy, at: datetime) -> frozenset[str]:
    """The numbers `available` to anyone at `at`, by set algebra (no loop in Python over the pool)."""
    free = policy.in_pool.difference(state.leases, state.holds)
    if policy.available_from:
        free = frozenset(n for n in free if policy.available_from.get(n, NEVER_LEASED) <= at)
    return free


def _number_for(state: PoolState, policy: PoolPolicy, visitor_id: str, at: datetime) -> str | None:
    """The visitor's previous number when they may have it, else the number free the longest."""
    previous = state.last_held.get(visitor_id, frozenset()) & policy.in_pool
    for number in sorted(previous, key=lambda n: (state.freed_at.get(n, NEVER_LEASED), n), reverse=True):
        if available(state, policy, number, visitor_id, at):
            return number
    free = _free(state, policy, at)
    never = free.difference(state.freed_at)
    if never:
        return min(never)
    return min(zip(map(state.freed_at.__getitem__, free), free, strict=True), default=(None, None))[1]


def _renewed(
    lease: Lease,
    *,
    request_id: UUID,
    visit_id: str,
    session: SessionSnapshot,
    expires_at: datetime,
    active_at: datetime,
    pool_id: str,
    now: datetime,
) -> LeaseRenewed:
    return LeaseRenewed(
        event_id=_id("LeaseRenewed", request_id),
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
            active_at=active_at,
        ),
    )


@dataclass(frozen=True)
class _Ask:
    """Who asks for a number, and the id their answer's ids derive from."""

    answer_of: UUID
    tenant_id: str
    site_id: str | None
    visit_id: str
    visitor_id: str
    session: SessionSnapshot


def _denial_id(state: PoolState, answer_of: UUID, at: datetime) -> UUID:
    """A denial's id names its request and the exhaustion it belongs to (a later one is another fact)."""
    return _id("LeaseDenied", answer_of, (state.exhausted_since or at).isoformat())


def _grant_or_deny(
    state: PoolState, policy: PoolPolicy, ask: _Ask, at: datetime, now: datetime
) -> LeaseGranted | LeaseDenied:
    number = _number_for(state, policy, ask.visitor_id, at)
    if number is None:
        return LeaseDenied(
            event_id=_denial_id(state, ask.answer_of, at),
            occurred_at=at,
            recorded_at=now,
            tenant_id=ask.tenant_id,
            site_id=ask.site_id,
            payload=LeaseDeniedPayload(
                pool_id=state.pool_id,
                visitor_id=ask.visitor_id,
                visit_id=ask.visit_id,
                reason="pool_exhausted" if policy.numbers else "pool_empty",
                default_number=policy.overflow_number or policy.default_number,
            ),
        )
    return LeaseGranted(
        event_id=_id("LeaseGranted", ask.answer_of),
        occurred_at=at,
        recorded_at=now,
        tenant_id=ask.tenant_id,
        site_id=ask.site_id,
        payload=LeaseGrantedPayload(
            lease_id=str(_id("lease", ask.answer_of)),
            pool_id=state.pool_id,
            number=number,
            visitor_id=ask.visitor_id,
            visit_id=ask.visit_id,
            expires_at=at + timedelta(seconds=policy.lease_seconds),
            session=ask.session,
        ),
    )


def _pause_window(policy: PoolPolicy) -> timedelta:
    """How long a deferral cancelled by a leave is resumed by the visitor's next visit: the pool's hold
    (the display delay when longer, so a hold of 0 still bridges a page load), at most `PAUSE_MEMORY`."""
    return min(timedelta(seconds=max(policy.hold_seconds, policy.display_delay_seconds)), PAUSE_MEMORY)


def choose_number(
    state: PoolState, request: RequestNumber, now: datetime
) -> LeaseGranted | LeaseRenewed | LeaseDenied | LeaseDeferred | None:
    """The answer to a visitor asking for a number at `now` (fire due timers first: see `decide`);
    None for a redelivered request whose lease has ended."""
    policy = request.policy
    held = state.lease_of(request.visitor_id)
    if held is not None:
        if _answered(held, request.request_id):
            return held.last_event
        if _answered_before(state, request.request_id):
            return None
        return _renewed(
            held,
            request_id=request.request_id,
            visit_id=request.visit_id,
            session=_session_in_force(held.session, request.session),
            expires_at=now + timedelta(seconds=policy.lease_seconds),
            active_at=now,
            pool_id=state.pool_id,
            now=now,
        )
    if _answered_before(state, request.request_id) or (
        state.denials and _denial_id(state, request.request_id, now) in state.denials
    ):
        return None
    pending = state.deferred.get(request.visitor_id)
    returning = state.hold_of(request.visitor_id) is not None
    paused = state.paused.get(request.visitor_id)
    if pending is not None:
        grant_at = pending.payload.grant_at
    elif paused is not None and now < paused.left_at + _pause_window(policy):
        grant_at = paused.grant_at  # the next page of the same sitting: time on site goes on
    else:
        grant_at = request.requested_at + timedelta(seconds=policy.display_delay_seconds)
    # The id names the request and its grant time: a redelivery deferred to another moment is another fact.
    # A request granted at its own time was never deferred: no id to look for (uuid5 is not free).
    if pending is not None or grant_at != request.requested_at or grant_at > now:
        deferral_id = _id("LeaseDeferred", request.request_id, grant_at.isoformat())
        if pending is not None and pending.event_id == deferral_id:
            return pending
        if deferral_id in state.recent_answers:  # kept until grant_at: a redelivery answered already
            return None
    if not returning and grant_at > now:
        return LeaseDeferred(
            event_id=_id("LeaseDeferred", request.request_id, grant_at.isoformat()),
            occurred_at=now,
            recorded_at=now,
            tenant_id=request.tenant_id,
            site_id=request.site_id,
            payload=LeaseDeferredPayload(
                pool_id=state.pool_id,
                visitor_id=request.visitor_id,
                visit_id=request.visit_id,
                grant_at=grant_at,
                session=request.session,
                default_number=policy.default_before_display_number or policy.default_number,
            ),
        )
    ask = _Ask(
        request.request_id,
        request.tenant_id,
        request.site_id,
        request.visit_id,
        request.visitor_id,
        request.session,
    )
    return _grant_or_deny(state, policy, ask, now, now)


def _viewed(current: SessionSnapshot, viewed: SessionSnapshot | None) -> SessionSnapshot:
    """The lease's snapshot after a page view: the pages seen always, the source only as a new visit's would."""
    if viewed is None:
        return current
    kept = _session_in_force(current, viewed)
    return kept if kept is viewed else kept.model_copy(update={"pages_seen": viewed.pages_seen})


def renew(state: PoolState, heartbeat: RenewLease, now: datetime) -> LeaseRenewed | None:
    """The renewal of the visitor's live lease (with a page view's snapshot), or None when they hold none:
    a heartbeat or page view without a lease has nothing to renew and grants nothing."""
    held = state.lease_of(heartbeat.visitor_id)
    if held is None or held.expires_at <= now:
        return None
    if _answered(held, heartbeat.request_id, HEARTBEAT_ANSWERS):
        return held.last_event if isinstance(held.last_event, LeaseRenewed) else None
    if _answered_before(state, heartbeat.request_id, HEARTBEAT_ANSWERS):
        return None
    return _renewed(
        held,
        request_id=heartbeat.request_id,
        visit_id=heartbeat.visit_id,
        session=_viewed(held.session, heartbeat.session),
        expires_at=now + timedelta(seconds=heartbeat.lease_seconds),
        active_at=now if heartbeat.active else held.active_at,
        pool_id=state.pool_id,
        now=now,
    )


def _hold_until(policy: PoolPolicy, ended_at: datetime) -> datetime | None:
    return ended_at + timedelta(seconds=policy.hold_seconds) if policy.hold_seconds > 0 else None


def leave(
    state: PoolState, command: LeaveSite, now: datetime
) -> LeaseReleased | LeaseDeferralCancelled | None:
    """The visitor left: their lease ends and its number goes on hold; a deferred grant is cancelled.
    None when there is nothing to end (a redelivered leave, or a visitor without a lease)."""
    held = state.lease_of(command.visitor_id)
    if held is not None:
        return LeaseReleased(
            event_id=_id(held.lease_id, "released"),
            occurred_at=now,
            recorded_at=now,
            tenant_id=held.tenant_id,
            site_id=held.site_id,
            payload=LeaseReleasedPayload(
                lease_id=held.lease_id,
                pool_id=state.pool_id,
                number=held.number,
                visitor_id=held.visitor_id,
                visit_id=command.visit_id,
                hold_until=_hold_until(command.policy, now),
            ),
        )
    pending = state.deferred.get(command.visitor_id)
    if pending is not None:
        return LeaseDeferralCancelled(
            event_id=_id(pending.event_id, "cancelled"),
            occurred_at=now,
            recorded_at=now,
            tenant_id=pending.tenant_id,
            site_id=pending.site_id,
            payload=LeaseDeferralCancelledPayload(
                pool_id=state.pool_id, visitor_id=command.visitor_id, visit_id=pending.payload.visit_id
            ),
        )
    return None


def _expired(state: PoolState, lease: Lease, policy: PoolPolicy, now: datetime) -> LeaseExpired:
    return LeaseExpired(
        event_id=_id(lease.lease_id, "expired"),
        occurred_at=lease.expires_at,
        recorded_at=now,
        tenant_id=lease.tenant_id,
        site_id=lease.site_id,
        payload=LeaseExpiredPayload(
            lease_id=lease.lease_id,
            pool_id=state.pool_id,
            number=lease.number,
            visitor_id=lease.visitor_id,
            hold_until=_hold_until(policy, lease.expires_at),
        ),
    )


def expire_due(state: PoolState, now: datetime, policy: PoolPolicy | None = None) -> list[LeaseExpired]:
    """Leases whose `expires_at` has passed, each ended at its own `expires_at` (oldest first)."""
    rules = policy or PoolPolicy((), 1)
    due = sorted(
        (lease for lease in state.leases.values() if lease.expires_at <= now), key=lambda x: x.expires_at
    )
    return [_expired(state, lease, rules, now) for lease in due]


def _next_timer(state: PoolState, policy: PoolPolicy, now: datetime) -> LeaseEvent | None:
    """The earliest timer due at `now` as its event, or None. Ties go by kind, then by key."""
    idle = timedelta(seconds=policy.idle_reclaim_seconds) if policy.idle_reclaim_seconds is not None else None
    due: list[tuple[datetime, int, str, LeaseEvent]] = []
    for lease in state.leases.values():
        reclaim_at = lease.active_at + idle if idle is not None else None
        if lease.expires_at > now and (reclaim_at is None or reclaim_at > now):
            continue  # nothing due: the common case, checked first
        if reclaim_at is not None and reclaim_at < lease.expires_at:
            if reclaim_at <= now:
                revoked = LeaseRevoked(
                    event_id=_id(lease.lease_id, "revoked"),
                    occurred_at=reclaim_at,
                    recorded_at=now,
                    tenant_id=lease.tenant_id,
                    site_id=lease.site_id,
                    payload=LeaseRevokedPayload(
                        lease_id=lease.lease_id,
                        pool_id=state.pool_id,
                        number=lease.number,
                        visitor_id=lease.visitor_id,
                        hold_until=_hold_until(policy, reclaim_at),
                        default_number=policy.default_after_reclaim_number or policy.default_number,
                    ),
                )
                due.append((reclaim_at, 0, lease.number, revoked))
        elif lease.expires_at <= now:
            due.append((lease.expires_at, 0, lease.number, _expired(state, lease, policy, now)))
    for number, hold in state.holds.items():
        if hold.until <= now:
            ended = LeaseHoldEnded(
                event_id=_id(hold.lease_id, "hold-ended"),
                occurred_at=hold.until,
                recorded_at=now,
                tenant_id=hold.tenant_id,
                site_id=hold.site_id,
                payload=LeaseHoldEndedPayload(
                    pool_id=state.pool_id, number=number, visitor_id=hold.visitor_id
                ),
            )
            due.append((hold.until, 1, number, ended))
    for visitor, pending in state.deferred.items():
        if pending.payload.grant_at <= now:
            ask = _Ask(
                pending.event_id,
                pending.tenant_id,
                pending.site_id,
                pending.payload.visit_id,
                visitor,
                pending.payload.session,
            )
            due.append(
                (
                    pending.payload.grant_at,
                    2,
                    visitor,
                    _grant_or_deny(state, policy, ask, pending.payload.grant_at, now),
                )
            )
    if not due:
        return None
    return min(due, key=lambda d: d[:3])[3]


def _might_be_due(state: PoolState, policy: PoolPolicy, now: datetime) -> bool:
    """False when the state's timer floors show nothing can be due at `now` (no scan needed)."""
    if state.timer_floor is not None and state.timer_floor <= now:
        return True
    idle = policy.idle_reclaim_seconds
    return (
        idle is not None
        and state.active_floor is not None
        and state.active_floor + timedelta(seconds=idle) <= now
    )


def _exhaustion_over(
    state: PoolState, policy: PoolPolicy, at: datetime, now: datetime
) -> PoolExhausted | None:
    since = state.exhausted_since
    if since is None or not _free(state, policy, at):
        return None
    ended_at = max(at, since)
    return PoolExhausted(
        event_id=_id(state.pool_id, "exhausted", since.isoformat()),
        occurred_at=ended_at,
        recorded_at=now,
        tenant_id=state.exhausted_tenant[0],
        site_id=state.exhausted_tenant[1],
        payload=PoolExhaustedPayload(
            pool_id=state.pool_id,
            exhausted_since=since,
            ended_at=ended_at,
            duration_seconds=(ended_at - since).total_seconds(),
            denied_visits=state.denied_while_exhausted,
        ),
    )


def due_timers(state: PoolState, policy: PoolPolicy, now: datetime) -> list[LeaseEvent]:
    """Every timer due at `now`, fired in time order (each may start the next, e.g. expiry then hold end),
    and the end of the pool's exhaustion once a number can be granted again."""
    return fire_timers(state, policy, now)[1]


def fire_timers(state: PoolState, policy: PoolPolicy, now: datetime) -> tuple[PoolState, list[LeaseEvent]]:
    """`due_timers` and the state with them folded (its timer floors made exact when it looked for any)."""
    events: list[LeaseEvent] = []
    while _might_be_due(state, policy, now):
        timer = _next_timer(state, policy, now)
        if timer is None:  # the floors had fallen behind (renewed or ended leases): catch them up
            state = state.with_floors_exact()
            break
        events.append(timer)
        state = evolve(state, timer)
        over = _exhaustion_over(state, policy, timer.occurred_at, now)
        if over is not None:
            events.append(over)
            state = evolve(state, over)
    over = _exhaustion_over(state, policy, now, now)
    if over is not None:
        events.append(over)
        state = evolve(state, over)
    return state, events


def _stale(command: Command, now: datetime) -> bool:
    """A request older than a lease length has had its answer (or its page is gone): answering now would
    hold a number nobody shows, and, for a redelivery whose lease has ended, reuse an answer's event id."""
    lease_seconds = command.lease_seconds if isinstance(command, RenewLease) else command.policy.lease_seconds
    return now - command.requested_at >= timedelta(seconds=lease_seconds)


def assign_static(state: PoolState, request: RequestNumber, now: datetime) -> StaticNumberAssigned | None:
    """The static number for a visit that matched a static rule, or None when the pool answers it: the
    visitor holds a lease or waits for a deferred grant. No lease and no pool number are taken."""
    choice = request.static
    if (
        choice is None
        or state.lease_of(request.visitor_id) is not None
        or request.visitor_id in state.deferred
    ):
        return None
    return StaticNumberAssigned(
        event_id=_id("StaticNumberAssigned", request.request_id),
        occurred_at=now,
        recorded_at=now,
        tenant_id=request.tenant_id,
        site_id=request.site_id,
        payload=StaticNumberAssignedPayload(
            pool_id=state.pool_id,
            visitor_id=request.visitor_id,
            visit_id=request.visit_id,
            number=choice.number,
            rule_id=choice.rule_id,
            channel=choice.channel,
            session=request.session,
        ),
    )


def decide(state: PoolState, command: Command, now: datetime) -> tuple[PoolState, list[Answer]]:
    """Fire the timers due at `now`, then answer `command` unless it is stale; the new state and the
    events to publish, in order. A static answer changes no state."""
    state, timers = fire_timers(state, _policy_of(command), now)
    events: list[Answer] = list(timers)
    if isinstance(command, RequestNumber) and not _stale(command, now):
        static = assign_static(state, command, now)
        if static is not None:
            return state, [*events, static]
    answer: LeaseEvent | None = None
    match command:
        case _ if _stale(command, now):
            pass
        case RequestNumber():
            answer = choose_number(state, command, now)
        case RenewLease():
            answer = renew(state, command, now)
        case LeaveSite():
            answer = leave(state, command, now)
    if answer is not None:
        events.append(answer)
        state = evolve(state, answer)
    return state, events
