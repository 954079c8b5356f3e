"""The pool policy as specifications: hold, returning visitors, quarantine, delayed display, idle
reclaim, leave, exhaustion. Every timer is an event; each test folds only what `decide` and
`due_timers` publish."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

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

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
A, B = "+14155550101", "+14155550102"
DEFAULT, BEFORE, AFTER, OVERFLOW = "+14155550190", "+14155550191", "+14155550192", "+14155550193"
POLICY = PoolPolicy(
    numbers=(A, B),
    lease_seconds=60,
    default_number=DEFAULT,
    hold_seconds=420,
    default_before_display_number=BEFORE,
    default_after_reclaim_number=AFTER,
)
ADS = SessionSnapshot(source="google", medium="cpc", campaign="spring")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def visit(
    visitor: str, when: float, policy: PoolPolicy = POLICY, session: SessionSnapshot = ADS
) -> RequestNumber:
    return RequestNumber(
        request_id=uuid.uuid4(),
        requested_at=at(when),
        tenant_id="t1",
        site_id="s1",
        pool_id="p1",
        visit_id=f"visit-{visitor}-{when}",
        visitor_id=visitor,
        session=session,
        policy=policy,
    )


def heartbeat(visitor: str, when: float, *, active: bool, policy: PoolPolicy = POLICY) -> RenewLease:
    return RenewLease(
        request_id=uuid.uuid4(),
        requested_at=at(when),
        pool_id="p1",
        visit_id=f"visit-{visitor}",
        visitor_id=visitor,
        lease_seconds=policy.lease_seconds,
        active=active,
        policy=policy,
    )


def leaving(visitor: str, when: float, policy: PoolPolicy = POLICY) -> LeaveSite:
    return LeaveSite(
        request_id=uuid.uuid4(),
        requested_at=at(when),
        pool_id="p1",
        visit_id=f"visit-{visitor}",
        visitor_id=visitor,
        policy=policy,
    )


def tick(state: PoolState, when: float, policy: PoolPolicy = POLICY) -> tuple[PoolState, list[LeaseEvent]]:
    events = due_timers(state, policy, at(when))
    for event in events:
        state = evolve(state, event)
    return state, events


def test_an_expired_lease_leaves_its_number_on_hold_for_its_last_holder_only() -> None:
    state, [alice] = decide(PoolState("p1"), visit("alice", 0), at(0))
    state, [_bob] = decide(state, visit("bob", 0), at(0))
    state, events = decide(state, visit("carol", 70), at(70))
    assert [type(e) for e in events] == [LeaseExpired, LeaseExpired, LeaseDenied]
    assert events[0].payload.hold_until == at(60 + 420)  # type: ignore[union-attr]
    state, [back] = decide(state, visit("alice", 80), at(80))
    assert isinstance(back, LeaseGranted) and back.payload.number == alice.payload.number  # type: ignore[union-attr]


def test_a_number_is_free_for_anyone_once_its_hold_has_ended_and_the_hold_end_is_an_event() -> None:
    state, [_alice] = decide(PoolState("p1"), visit("alice", 0), at(0))
    state, events = tick(state, 60 + 420)
    assert [type(e) for e in events] == [LeaseExpired, LeaseHoldEnded]
    assert events[1].occurred_at == at(480)
    state, [carol] = decide(state, visit("carol", 500), at(500))
    assert isinstance(carol, LeaseGranted)
    assert carol.payload.number == B  # never leased beats freed at 60: longest free first


def test_a_returning_visitor_gets_their_previous_number_back_when_it_is_free() -> None:
    state, [alice] = decide(PoolState("p1"), visit("alice", 0), at(0))
    state, _ = tick(state, 600)  # expired and hold over: B was never leased, A was
    state, [back] = decide(state, visit("alice", 700), at(700))
    assert isinstance(back, LeaseGranted) and back.payload.number == alice.payload.number  # type: ignore[union-attr]


def test_a_visitor_from_a_new_campaign_keeps_their_number_and_the_lease_records_the_new_snapshot() -> None:
    state, [granted] = decide(PoolState("p1"), visit("alice", 0), at(0))
    fresh = SessionSnapshot(source="facebook", medium="paid_social", campaign="summer")
    _, [renewed] = decide(state, visit("alice", 30, session=fresh), at(30))
    assert isinstance(renewed, LeaseRenewed)
    assert renewed.payload.number == granted.payload.number  # type: ignore[union-attr]
    assert renewed.payload.session == fresh


def test_leaving_ends_the_lease_at_once_and_puts_the_number_on_hold() -> None:
    state, [granted] = decide(PoolState("p1"), visit("alice", 0), at(0))
    state, [released] = decide(state, leaving("alice", 10), at(10))
    assert isinstance(released, LeaseReleased)
    assert released.payload.hold_until == at(430)
    assert state.leases == {} and state.holds[granted.payload.number].visitor_id == "alice"  # type: ignore[union-attr]
    assert decide(state, leaving("alice", 10), at(11))[1] == []  # a redelivered leave ends nothing more


def test_a_number_moved_into_the_pool_is_never_granted_during_its_quarantine() -> None:
    policy = PoolPolicy(numbers=(A,), lease_seconds=60, available_from={A: at(7 * 24 * 3600)})
    _, [denied] = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    assert isinstance(denied, LeaseDenied)
    later = 7 * 24 * 3600
    _, events = decide(PoolState("p1"), visit("alice", later, policy), at(later))
    assert isinstance(events[-1], LeaseGranted) and events[-1].payload.number == A


def test_with_a_display_delay_the_grant_waits_and_the_before_display_default_shows_meanwhile() -> None:
    policy = replace(POLICY, display_delay_seconds=50)
    state, [deferred] = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    assert isinstance(deferred, LeaseDeferred)
    assert (deferred.payload.grant_at, deferred.payload.default_number) == (at(50), BEFORE)
    state, nothing = tick(state, 49, policy)
    assert nothing == []
    state, [granted] = tick(state, 55, policy)
    assert isinstance(granted, LeaseGranted) and granted.occurred_at == at(50)
    assert granted.payload.expires_at == at(110) and granted.payload.visit_id == deferred.payload.visit_id


def test_a_visitor_who_leaves_before_the_display_delay_never_gets_a_number() -> None:
    policy = replace(POLICY, display_delay_seconds=50)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, [cancelled] = decide(state, leaving("alice", 10, policy), at(10))
    assert isinstance(cancelled, LeaseDeferralCancelled)
    assert tick(state, 100, policy)[1] == []


def test_the_next_page_of_a_multi_page_visit_resumes_the_display_delay_from_the_first_page() -> None:
    policy = replace(POLICY, display_delay_seconds=50)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, [cancelled] = decide(state, leaving("alice", 30, policy), at(30))  # the first page's pagehide
    assert isinstance(cancelled, LeaseDeferralCancelled)
    state, [resumed] = decide(state, visit("alice", 31, policy), at(31))
    assert isinstance(resumed, LeaseDeferred) and resumed.payload.grant_at == at(50)
    state, [granted] = tick(state, 50, policy)
    assert isinstance(granted, LeaseGranted) and granted.occurred_at == at(50)


def test_a_page_opened_after_the_delay_has_run_out_gets_a_number_at_once() -> None:
    policy = replace(POLICY, display_delay_seconds=50)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, _ = decide(state, leaving("alice", 45, policy), at(45))
    _, [granted] = decide(state, visit("alice", 60, policy), at(60))
    assert isinstance(granted, LeaseGranted) and granted.occurred_at == at(60)


def test_a_visit_after_the_hold_of_a_cancelled_deferral_starts_the_display_delay_again() -> None:
    policy = replace(POLICY, display_delay_seconds=50, hold_seconds=120)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, _ = decide(state, leaving("alice", 10, policy), at(10))
    _, [deferred] = decide(state, visit("alice", 200, policy), at(200))
    assert isinstance(deferred, LeaseDeferred) and deferred.payload.grant_at == at(250)


def test_a_cancelled_deferral_is_resumed_by_its_own_visitor_only() -> None:
    policy = replace(POLICY, display_delay_seconds=50)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, _ = decide(state, leaving("alice", 10, policy), at(10))
    _, [deferred] = decide(state, visit("bob", 20, policy), at(20))
    assert isinstance(deferred, LeaseDeferred) and deferred.payload.grant_at == at(70)


def test_an_idle_lease_is_revoked_and_the_after_reclaim_default_shows() -> None:
    policy = replace(POLICY, idle_reclaim_seconds=3600)
    state, [_granted] = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    for second in range(50, 3700, 50):  # the tab stays open, nobody touches it
        state, events = decide(state, heartbeat("alice", second, active=False, policy=policy), at(second))
        if any(isinstance(e, LeaseRevoked) for e in events):
            break
    [revoked] = [e for e in events if isinstance(e, LeaseRevoked)]
    assert revoked.occurred_at == at(3600) and revoked.payload.default_number == AFTER
    assert revoked.payload.hold_until == at(3600 + 420)


def test_activity_in_a_tab_keeps_the_lease_from_being_reclaimed() -> None:
    policy = replace(POLICY, idle_reclaim_seconds=120)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    for second in range(50, 1000, 50):
        state, events = decide(state, heartbeat("alice", second, active=True, policy=policy), at(second))
        assert [type(e) for e in events] == [LeaseRenewed]


def test_an_exhausted_pool_shows_the_overflow_number_and_records_when_and_how_long() -> None:
    policy = replace(POLICY, overflow_number=OVERFLOW)
    state, _ = decide(PoolState("p1"), visit("alice", 0, policy), at(0))
    state, _ = decide(state, visit("bob", 0, policy), at(0))
    state, [denied] = decide(state, visit("carol", 5, policy), at(5))
    state, [again] = decide(state, visit("dave", 8, policy), at(8))
    assert isinstance(denied, LeaseDenied) and denied.payload.default_number == OVERFLOW
    state, _ = decide(state, leaving("alice", 20, policy), at(20))
    state, events = tick(state, 20 + 420, policy)  # bob's lease expired at 60: his number is on hold
    assert [type(e) for e in events] == [LeaseExpired, LeaseHoldEnded, PoolExhausted]
    exhausted = events[-1]
    assert isinstance(exhausted, PoolExhausted)
    assert (exhausted.payload.exhausted_since, exhausted.payload.ended_at) == (at(5), at(440))
    assert (exhausted.payload.duration_seconds, exhausted.payload.denied_visits) == (435.0, 2)
    assert isinstance(again, LeaseDenied) and state.exhausted_since is None


def test_rebuilding_from_the_published_events_gives_the_live_state_with_timers_pending() -> None:
    policy = replace(POLICY, display_delay_seconds=30, idle_reclaim_seconds=100)
    state, log = PoolState("p1"), []
    for command, when in [
        (visit("alice", 0, policy), 0),
        (visit("bob", 5, policy), 40),
        (leaving("alice", 60, policy), 60),
        (visit("carol", 61, policy), 61),
    ]:
        state, events = decide(state, command, at(when))
        log.extend(events)
    state, events = tick(state, 70, policy)
    log.extend(events)
    rebuilt = PoolState("p1")
    for event in log:
        rebuilt = evolve(rebuilt, event)
    assert rebuilt == state
    assert state.holds and state.deferred  # a hold and a deferred grant are still pending
    assert due_timers(rebuilt, policy, at(1000)) == due_timers(state, policy, at(1000))


def test_a_renewed_lease_outlives_its_first_expiry_and_expires_at_its_last_renewal_plus_a_lease() -> None:
    state, _ = decide(PoolState("p1"), visit("alice", 0), at(0))
    state, _ = decide(state, heartbeat("alice", 50, active=False), at(50))
    state, events = decide(state, visit("bob", 70), at(70))  # past alice's first expiry (60)
    assert [type(e) for e in events] == [LeaseGranted]
    state, [expired] = tick(state, 111)
    assert isinstance(expired, LeaseExpired) and expired.occurred_at == at(110)
