"""Lease history: a fold that ignores arrival order and duplicates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from attribution.domain import LeaseHistory
from ctrack_common.events import event_id_for
from ctrack_common.events.models import (
    LeaseReleased,
    LeaseReleasedPayload,
    LeaseRevoked,
    LeaseRevokedPayload,
)

from .timeline import NUMBER, TENANT, at, expired, granted, renewed

EVENTS = [
    granted("L1", "10:00", "10:10", source="google"),
    renewed("L1", "10:08", "10:20", source="bing"),
    renewed("L1", "10:15", "10:25"),
    expired("L1", "10:22"),
    granted("L2", "10:30", "11:00", visitor="v-b"),
]


def fold(events: list) -> LeaseHistory:  # type: ignore[type-arg]
    history = LeaseHistory()
    for event in events:
        history.apply(event)
    return history


@given(st.permutations(EVENTS), st.lists(st.sampled_from(EVENTS), max_size=5))
def test_the_history_is_the_same_whatever_the_order_and_duplicates(order: list, extra: list) -> None:  # type: ignore[type-arg]
    assert fold(order + extra).intervals(TENANT) == fold(EVENTS).intervals(TENANT)


def test_an_ended_lease_ends_at_its_expiry_and_an_open_one_at_its_latest_expires_at() -> None:
    first, second = fold(EVENTS).intervals(TENANT)
    assert (first.granted_at, first.end, first.ended) == (at("10:00"), at("10:22"), True)
    assert (second.granted_at, second.end, second.ended) == (at("10:30"), at("11:00"), False)


def test_a_duplicate_event_is_reported_as_already_known() -> None:
    history = LeaseHistory()
    assert history.apply(EVENTS[0]) is True
    assert history.apply(EVENTS[0]) is False


def test_leases_of_another_tenant_are_invisible() -> None:
    assert fold(EVENTS).intervals("someone-else") == []


def test_an_expiry_alone_gives_no_interval() -> None:
    assert fold([expired("L1", "10:22")]).intervals(TENANT) == []


def released(lease: str, when: str, *, visitor: str = "v-a") -> LeaseReleased:
    return LeaseReleased(
        event_id=event_id_for("released", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseReleasedPayload(
            lease_id=lease, pool_id="pool-1", number=NUMBER, visitor_id=visitor, visit_id=f"visit-{visitor}"
        ),
    )


def revoked(lease: str, when: str, *, visitor: str = "v-a") -> LeaseRevoked:
    return LeaseRevoked(
        event_id=event_id_for("revoked", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseRevokedPayload(lease_id=lease, pool_id="pool-1", number=NUMBER, visitor_id=visitor),
    )


def test_a_lease_ends_when_the_visitor_leaves_or_it_is_revoked_as_it_does_at_expiry() -> None:
    for ending in (released("L1", "10:05"), revoked("L1", "10:05")):
        [interval] = fold([granted("L1", "10:00", "10:10"), ending]).intervals(TENANT)
        assert (interval.end, interval.ended) == (at("10:05"), True)


@given(st.permutations([granted("L1", "10:00", "10:10"), released("L1", "10:05"), expired("L1", "10:10")]))
def test_a_lease_ends_at_the_first_of_its_endings_whatever_their_order(order: list) -> None:  # type: ignore[type-arg]
    [interval] = fold(order).intervals(TENANT)
    assert interval.end == at("10:05")
