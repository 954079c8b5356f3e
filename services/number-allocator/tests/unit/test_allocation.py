"""The lease policies, as specifications: who gets which number, renewals, expiry, redelivery."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ctrack_common.events import (
    LeaseDenied,
    LeaseExpired,
    LeaseGranted,
    LeaseRenewed,
    LeaseRevoked,
    SessionSnapshot,
)
from number_allocator.domain import (
    PoolPolicy,
    PoolState,
    RenewLease,
    RequestNumber,
    decide,
    evolve,
    expire_due,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NUMBERS = ("+14155550101", "+14155550102")
POLICY = PoolPolicy(numbers=NUMBERS, lease_seconds=60, default_number="+14155550199")
NEWSLETTER = SessionSnapshot(source="newsletter", medium="email")
DIRECT = SessionSnapshot(source="(direct)", medium="(none)")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def visit(
    visitor: str, session: SessionSnapshot = NEWSLETTER, policy: PoolPolicy = POLICY, when: datetime = T0
) -> RequestNumber:
    return RequestNumber(
        request_id=uuid.uuid4(),
        requested_at=when,
        tenant_id="t1",
        site_id="s1",
        pool_id="p1",
        visit_id=f"visit-{uuid.uuid4().hex[:6]}",
        visitor_id=visitor,
        session=session,
        policy=policy,
    )


def heartbeat(visitor: str, when: datetime = T0) -> RenewLease:
    return RenewLease(
        request_id=uuid.uuid4(),
        requested_at=when,
        pool_id="p1",
        visit_id="v",
        visitor_id=visitor,
        lease_seconds=60,
    )


def test_the_first_visitor_gets_a_number_until_now_plus_the_lease_length() -> None:
    _, [granted] = decide(PoolState("p1"), visit("alice"), T0)
    assert isinstance(granted, LeaseGranted)
    assert granted.payload.number == NUMBERS[0]
    assert granted.payload.expires_at == T0 + timedelta(seconds=60)


def test_a_number_held_by_one_visitor_is_never_granted_to_another() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)
    state, [bob] = decide(state, visit("bob"), T0)
    state, [carol] = decide(state, visit("carol"), T0)
    assert isinstance(bob, LeaseGranted) and bob.payload.number == NUMBERS[1]
    assert isinstance(carol, LeaseDenied)
    assert (carol.payload.reason, carol.payload.default_number) == ("pool_exhausted", "+14155550199")


def test_a_pool_without_numbers_denies_with_reason_pool_empty() -> None:
    _, [denied] = decide(PoolState("p1"), visit("alice", policy=PoolPolicy((), 60)), T0)
    assert isinstance(denied, LeaseDenied) and denied.payload.reason == "pool_empty"


def test_a_returning_visitor_keeps_their_number_and_the_lease_is_renewed() -> None:
    state, [granted] = decide(PoolState("p1"), visit("alice"), T0)
    _, [renewed] = decide(state, visit("alice", when=at(30)), at(30))
    assert isinstance(renewed, LeaseRenewed)
    assert renewed.payload.lease_id == granted.payload.lease_id  # type: ignore[union-attr]
    assert renewed.payload.expires_at == T0 + timedelta(seconds=90)


def test_a_direct_page_view_does_not_overwrite_the_campaign_of_a_live_lease() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)
    _, [renewed] = decide(state, visit("alice", session=DIRECT, when=at(5)), at(5))
    assert isinstance(renewed, LeaseRenewed) and renewed.payload.session == NEWSLETTER


def test_a_visitor_arriving_from_a_new_campaign_keeps_their_number_and_the_lease_records_the_campaign() -> (
    None
):
    state, [granted] = decide(PoolState("p1"), visit("alice"), T0)
    summer = SessionSnapshot(source="google", medium="cpc", campaign="summer", session_id="s2")
    state, [renewed] = decide(state, visit("alice", session=summer, when=at(20)), at(20))
    assert isinstance(renewed, LeaseRenewed) and isinstance(granted, LeaseGranted)
    assert (renewed.payload.number, renewed.payload.lease_id) == (
        granted.payload.number,
        granted.payload.lease_id,
    )
    assert renewed.payload.session == summer
    assert state.lease_of("alice").session == summer  # type: ignore[union-attr]


def page_view(
    visitor: str, session: SessionSnapshot, when: datetime, policy: PoolPolicy = POLICY
) -> RenewLease:
    return RenewLease(
        request_id=uuid.uuid4(),
        requested_at=when,
        pool_id="p1",
        visit_id="v",
        visitor_id=visitor,
        lease_seconds=60,
        active=True,
        policy=policy,
        session=session,
    )


def test_a_page_view_renews_the_lease_with_the_pages_seen_and_keeps_the_campaign() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)
    later = NEWSLETTER.model_copy(update={"pages_seen": ("/", "/prices")})
    state, [renewed] = decide(state, page_view("alice", later, at(30)), at(30))
    assert isinstance(renewed, LeaseRenewed) and renewed.payload.session == later
    assert renewed.payload.expires_at == at(90)
    direct = DIRECT.model_copy(update={"pages_seen": ("/", "/prices", "/contact")})
    _, [again] = decide(state, page_view("alice", direct, at(40)), at(40))
    assert isinstance(again, LeaseRenewed)
    assert again.payload.session == NEWSLETTER.model_copy(update={"pages_seen": direct.pages_seen})


def test_a_page_view_is_activity_so_idle_reclaim_counts_from_it() -> None:
    idle = PoolPolicy(numbers=NUMBERS, lease_seconds=600, idle_reclaim_seconds=60)
    state, _ = decide(PoolState("p1"), visit("alice", policy=idle), T0)
    state, [renewed] = decide(state, page_view("alice", NEWSLETTER, at(50), idle), at(50))
    assert isinstance(renewed, LeaseRenewed)
    idle_tab = replace(heartbeat("alice", at(100)), policy=idle)
    state, events = decide(state, idle_tab, at(100))
    assert [type(e) for e in events] == [LeaseRenewed]
    _, events = decide(state, replace(idle_tab, request_id=uuid.uuid4(), requested_at=at(111)), at(111))
    assert isinstance(events[0], LeaseRevoked) and events[0].occurred_at == at(110)


def test_a_redelivered_visit_gets_the_very_same_answer_and_no_second_number() -> None:
    request = visit("alice")
    state, [first] = decide(PoolState("p1"), request, T0)
    state, [again] = decide(state, request, T0 + timedelta(seconds=3))
    assert again == first
    assert len(state.leases) == 1


def test_a_heartbeat_renews_a_live_lease_and_is_ignored_without_one() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)
    _, [renewed] = decide(state, heartbeat("alice", at(50)), at(50))
    assert isinstance(renewed, LeaseRenewed) and renewed.payload.expires_at == T0 + timedelta(seconds=110)
    assert decide(state, heartbeat("bob"), T0)[1] == []


def test_leases_expire_at_their_own_expires_at_with_an_id_derived_from_the_lease() -> None:
    state, [granted] = decide(PoolState("p1"), visit("alice"), T0)
    assert expire_due(state, T0 + timedelta(seconds=59)) == []
    [expired] = expire_due(state, T0 + timedelta(seconds=75))
    assert expired.occurred_at == T0 + timedelta(seconds=60)
    assert expired.event_id == expire_due(state, T0 + timedelta(hours=1))[0].event_id
    assert evolve(state, expired).leases == {}
    assert granted.payload.number in evolve(state, expired).freed_at  # type: ignore[union-attr]


def test_a_heartbeat_after_expiry_is_due_expires_the_lease_instead_of_renewing_it() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)
    state, events = decide(state, heartbeat("alice", at(61)), at(61))
    assert [type(e) for e in events] == [LeaseExpired]
    assert state.leases == {}


def test_the_number_free_the_longest_is_granted_first() -> None:
    state, _ = decide(PoolState("p1"), visit("alice"), T0)  # takes NUMBERS[0]
    state, _ = decide(state, visit("bob", when=at(10)), at(10))  # takes NUMBERS[1]
    # alice's lease ends at T0+60, bob's at T0+70: NUMBERS[0] has been free longer.
    _, events = decide(state, visit("carol", when=at(80)), at(80))
    assert [type(e) for e in events] == [LeaseExpired, LeaseExpired, LeaseGranted]
    assert events[-1].payload.number == NUMBERS[0]  # type: ignore[union-attr]


def test_a_request_older_than_a_lease_length_is_stale_and_gets_no_answer() -> None:
    request = visit("alice")
    state, _ = decide(PoolState("p1"), request, T0)
    state, events = decide(state, request, at(61))  # redelivered after its lease ended
    assert [type(e) for e in events] == [LeaseExpired]
    assert state.leases == {}
