"""Static tracking as specifications: which rule a visit matches, and what the allocator answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ctrack_common.events import (
    LeaseGranted,
    LeaseRenewed,
    SessionSnapshot,
    StaticNumberAssigned,
    StaticRuleConfiguredPayload,
    StaticRuleMatch,
)
from number_allocator.domain import (
    PoolPolicy,
    PoolState,
    RenewLease,
    RequestNumber,
    StaticChoice,
    decide,
    matches,
    static_number_for,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
POLICY = PoolPolicy(numbers=("+14155550101",), lease_seconds=60)
GOOGLE_CPC = SessionSnapshot(
    source="Google", medium="CPC", campaign="Spring", referrer="https://www.google.com/search?q=x"
)
RADIO = StaticChoice("radio", "+14155550177", "radio")


@pytest.mark.parametrize(
    ("match", "snapshot", "landing_url", "expected"),
    [
        (StaticRuleMatch(utm_source="google"), GOOGLE_CPC, "https://shop.example/", True),
        (StaticRuleMatch(utm_source="bing"), GOOGLE_CPC, "https://shop.example/", False),
        (StaticRuleMatch(utm_source="google", utm_medium="cpc"), GOOGLE_CPC, "https://shop.example/", True),
        (
            StaticRuleMatch(utm_source="google", utm_medium="email"),
            GOOGLE_CPC,
            "https://shop.example/",
            False,
        ),
        (StaticRuleMatch(utm_campaign="SPRING"), GOOGLE_CPC, "https://shop.example/", True),
        (StaticRuleMatch(utm_campaign="spring"), SessionSnapshot(), "https://shop.example/", False),
        (StaticRuleMatch(referrer_host="google.com"), GOOGLE_CPC, "https://shop.example/", True),
        (StaticRuleMatch(referrer_host="GOOGLE.com"), GOOGLE_CPC, "https://shop.example/", True),
        (StaticRuleMatch(referrer_host="www.google.com"), GOOGLE_CPC, "https://shop.example/", True),
        (StaticRuleMatch(referrer_host="oogle.com"), GOOGLE_CPC, "https://shop.example/", False),
        (StaticRuleMatch(referrer_host="google.com"), SessionSnapshot(), "https://shop.example/", False),
        (
            StaticRuleMatch(referrer_host="example.org"),
            SessionSnapshot(referrer="example.org/page"),
            "https://shop.example/",
            True,
        ),
        (
            StaticRuleMatch(landing_path_prefix="/radio"),
            GOOGLE_CPC,
            "https://shop.example/Radio/fm?x=1",
            True,
        ),
        (StaticRuleMatch(landing_path_prefix="/radio"), GOOGLE_CPC, "https://shop.example/tv/radio", False),
        (
            StaticRuleMatch(utm_source="google", landing_path_prefix="/radio"),
            GOOGLE_CPC,
            "https://shop.example/tv",
            False,
        ),
    ],
)
def test_a_rule_matches_only_when_every_field_it_gives_matches_case_insensitively(
    match: StaticRuleMatch, snapshot: SessionSnapshot, landing_url: str, expected: bool
) -> None:
    assert matches(match, snapshot, landing_url) is expected


def rule(rule_id: str, priority: int, active: bool = True, **match: str) -> StaticRuleConfiguredPayload:
    return StaticRuleConfiguredPayload(
        rule_id=rule_id,
        site_id="s1",
        number="+14155550177",
        match=StaticRuleMatch.model_validate(match),
        priority=priority,
        active=active,
    )


@pytest.mark.parametrize(
    ("rules", "winner"),
    [
        ([], None),
        ([rule("a", 100, utm_source="bing")], None),
        ([rule("a", 100, utm_source="google")], "a"),
        ([rule("b", 10, utm_source="google"), rule("a", 100, utm_medium="cpc")], "b"),
        ([rule("b", 50, utm_source="google"), rule("a", 50, utm_medium="cpc")], "a"),
        ([rule("a", 1, active=False, utm_source="google"), rule("b", 100, utm_medium="cpc")], "b"),
    ],
)
def test_the_lowest_priority_among_the_active_matching_rules_wins_and_ties_go_by_rule_id(
    rules: list[StaticRuleConfiguredPayload], winner: str | None
) -> None:
    found = static_number_for(reversed(rules), GOOGLE_CPC, "https://shop.example/")
    assert (found.rule_id if found else None) == winner


def visit(visitor: str, static: StaticChoice | None, session: SessionSnapshot = GOOGLE_CPC) -> RequestNumber:
    return RequestNumber(
        request_id=uuid.uuid4(),
        requested_at=T0,
        tenant_id="t1",
        site_id="s1",
        pool_id="p1",
        visit_id=f"visit-{uuid.uuid4().hex[:6]}",
        visitor_id=visitor,
        session=session,
        policy=POLICY,
        static=static,
    )


def test_a_visit_matching_a_static_rule_gets_its_number_and_takes_no_lease() -> None:
    state, [answer] = decide(PoolState("p1"), visit("alice", RADIO), T0)
    assert isinstance(answer, StaticNumberAssigned)
    assert (answer.payload.number, answer.payload.rule_id, answer.payload.channel) == (
        "+14155550177",
        "radio",
        "radio",
    )
    assert state == PoolState("p1")  # no lease, no pool number consumed
    _, [granted] = decide(state, visit("bob", None), T0)
    assert isinstance(granted, LeaseGranted) and granted.payload.number == "+14155550101"


def test_a_redelivered_static_visit_gets_the_same_answer_id() -> None:
    request = visit("alice", RADIO)
    _, [first] = decide(PoolState("p1"), request, T0)
    _, [again] = decide(PoolState("p1"), request, T0 + timedelta(seconds=2))
    assert again.event_id == first.event_id


def test_a_visitor_holding_a_lease_keeps_their_pool_number_when_a_static_rule_matches() -> None:
    state, [granted] = decide(PoolState("p1"), visit("alice", None), T0)
    _, [answer] = decide(state, visit("alice", RADIO), T0 + timedelta(seconds=5))
    assert isinstance(answer, LeaseRenewed)
    assert answer.payload.number == granted.payload.number  # type: ignore[union-attr]


def test_a_stale_static_visit_gets_no_answer() -> None:
    _, events = decide(PoolState("p1"), visit("alice", RADIO), T0 + timedelta(seconds=60))
    assert events == []


def test_a_page_view_is_ignored_for_a_visitor_without_a_lease() -> None:
    view = RenewLease(
        uuid.uuid4(), T0, "p1", "v", "alice", 60, active=True, policy=POLICY, session=GOOGLE_CPC
    )
    state, events = decide(PoolState("p1"), view, T0)
    assert (state, events) == (PoolState("p1"), [])
