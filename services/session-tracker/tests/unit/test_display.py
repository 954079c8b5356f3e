"""What a visitor's tabs show after each lease event (the table in `domain/display.py`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ctrack_common.events import (
    Envelope,
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
    LeaseRenewed,
    LeaseRenewedPayload,
    LeaseRevoked,
    LeaseRevokedPayload,
    PoolConfiguredPayload,
    SessionSnapshot,
    StaticNumberAssigned,
    StaticNumberAssignedPayload,
    event_id_for,
)
from session_tracker.domain import Shown, shown_after

NOW = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
POOL = PoolConfiguredPayload(
    pool_id="pool-1",
    lease_seconds=60,
    default_number="+12125550100",
    default_before_display_number="+12125550111",
    default_after_reclaim_number="+12125550122",
    overflow_number="+12125550133",
)
LEASED = "+12125550144"
SNAP = SessionSnapshot()


def envelope(cls: type[Envelope], payload: object) -> Envelope:
    return cls.model_validate(
        {
            "event_id": event_id_for(cls.__name__, str(id(payload))),
            "occurred_at": NOW,
            "recorded_at": NOW,
            "tenant_id": "t",
            "site_id": "s",
            "payload": payload,
        }
    )


def granted(lease_id: str = "l1") -> Envelope:
    payload = LeaseGrantedPayload(
        lease_id=lease_id,
        pool_id="pool-1",
        number=LEASED,
        visitor_id="v",
        visit_id="visit-1",
        expires_at=NOW + timedelta(minutes=1),
        session=SNAP,
    )
    return envelope(LeaseGranted, payload)


def test_a_grant_shows_the_pool_number_with_its_lease() -> None:
    shown = shown_after(granted(), POOL, None)
    assert shown is not None
    assert (shown.status, shown.kind, shown.number, shown.lease_id, shown.visit_id) == (
        "granted",
        "pool",
        LEASED,
        "l1",
        "visit-1",
    )
    assert shown.holds_pool_number


def test_a_renewal_shows_the_same_number_as_renewed() -> None:
    payload = LeaseRenewedPayload(
        lease_id="l1",
        pool_id="pool-1",
        number=LEASED,
        visitor_id="v",
        visit_id="visit-2",
        expires_at=NOW,
        session=SNAP,
    )
    shown = shown_after(envelope(LeaseRenewed, payload), POOL, None)
    assert shown is not None and (shown.status, shown.number) == ("renewed", LEASED)


def test_a_deferral_shows_the_before_display_default_until_grant_at() -> None:
    payload = LeaseDeferredPayload(
        pool_id="pool-1",
        visitor_id="v",
        visit_id="visit-1",
        grant_at=NOW + timedelta(seconds=50),
        session=SNAP,
    )
    shown = shown_after(envelope(LeaseDeferred, payload), POOL, None)
    assert shown == Shown(
        "deferred",
        "+12125550111",
        "default-before-display",
        "display_delay",
        grant_at=NOW + timedelta(seconds=50),
        visit_id="visit-1",
    )
    assert shown.holds_pool_number


def test_a_revoke_shows_the_after_reclaim_default() -> None:
    current = shown_after(granted(), POOL, None)
    payload = LeaseRevokedPayload(lease_id="l1", pool_id="pool-1", number=LEASED, visitor_id="v")
    shown = shown_after(envelope(LeaseRevoked, payload), POOL, current)
    assert shown is not None
    assert (shown.status, shown.kind, shown.number, shown.reason) == (
        "default",
        "default-after-reclaim",
        "+12125550122",
        "idle",
    )
    assert not shown.holds_pool_number


def test_a_denial_with_the_overflow_number_is_overflow_and_otherwise_default() -> None:
    overflow = LeaseDeniedPayload(
        pool_id="pool-1", visitor_id="v", visit_id="x", reason="pool_exhausted", default_number="+12125550133"
    )
    plain = LeaseDeniedPayload(pool_id="pool-1", visitor_id="v", visit_id="x", reason="pool_empty")
    first = shown_after(envelope(LeaseDenied, overflow), POOL, None)
    second = shown_after(envelope(LeaseDenied, plain), POOL, None)
    assert first is not None and (first.kind, first.number, first.reason) == (
        "overflow",
        "+12125550133",
        "pool_exhausted",
    )
    assert second is not None and (second.kind, second.number, second.reason) == (
        "default",
        "+12125550100",
        "pool_empty",
    )


def test_a_static_number_shows_as_static() -> None:
    payload = StaticNumberAssignedPayload(
        pool_id="pool-1", visitor_id="v", visit_id="visit-1", number="+12125550155", rule_id="r", session=SNAP
    )
    shown = shown_after(envelope(StaticNumberAssigned, payload), POOL, None)
    assert shown is not None and (shown.status, shown.kind, shown.number) == (
        "static",
        "static",
        "+12125550155",
    )
    assert not shown.holds_pool_number


def test_the_expiry_of_an_older_lease_changes_nothing_but_of_the_shown_one_shows_the_default() -> None:
    current = shown_after(granted("l2"), POOL, None)
    old = LeaseExpiredPayload(lease_id="l1", pool_id="pool-1", number=LEASED, visitor_id="v")
    assert shown_after(envelope(LeaseExpired, old), POOL, current) is None
    mine = LeaseExpiredPayload(lease_id="l2", pool_id="pool-1", number=LEASED, visitor_id="v")
    shown = shown_after(envelope(LeaseExpired, mine), POOL, current)
    assert shown is not None and (shown.status, shown.number, shown.reason) == (
        "default",
        "+12125550100",
        "expired",
    )


def test_a_cancelled_deferral_only_matters_while_deferred() -> None:
    payload = LeaseDeferralCancelledPayload(pool_id="pool-1", visitor_id="v", visit_id="visit-1")
    assert (
        shown_after(envelope(LeaseDeferralCancelled, payload), POOL, shown_after(granted(), POOL, None))
        is None
    )
    deferred = Shown("deferred", "+12125550111", "default-before-display", "display_delay")
    shown = shown_after(envelope(LeaseDeferralCancelled, payload), POOL, deferred)
    assert shown is not None and shown.status == "default"
