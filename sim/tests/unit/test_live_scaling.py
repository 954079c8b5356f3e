"""Live mode without the stack: the scaled clock and pool, and how a difference between the modes is judged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from ctrack_common.events import LeaseGranted, LeaseGrantedPayload, SessionSnapshot
from ctrack_sim.engine import EngineResult, PoolSetup
from ctrack_sim.join_port import CallAnswer
from ctrack_sim.live import compare, scale, scaled_pool, without_overlapping_leaves
from ctrack_sim.model import DEFAULT_SOURCES, Activity, Source, TrafficParams, generate

T0 = datetime(2026, 1, 5, tzinfo=UTC)
WALL = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def busy_hour(late_call_share: float) -> TrafficParams:
    """An hour of 2 sessions a minute where half the human sessions call."""
    return TrafficParams(
        visitors_per_day=2 * 60 * 24,
        days=1 / 24,
        hourly_profile=(1.0,) * 24,
        sources=tuple(Source(s.source, s.medium, s.share, 0.5) for s in DEFAULT_SOURCES),
        late_call_share=late_call_share,
        repeat_call_share=0.0,
    )


def test_a_scenario_minute_becomes_a_wall_second_and_late_calls_are_left_out() -> None:
    original = generate(busy_hour(late_call_share=0.5), np.random.default_rng(3), T0)
    scaled = scale(original, 60, WALL, horizon=timedelta(minutes=5))

    assert len(scaled.activity) == len(original.activity)
    for before, after in zip(original.activity, scaled.activity, strict=True):
        assert (
            abs((after.at - WALL).total_seconds() - (before.at - T0).total_seconds() / 60) <= 0.001
        )  # whole ms
    kept = [c for c in original.calls if c.at <= original.end + timedelta(minutes=5)]
    assert [c.call_id for c in scaled.calls] == [c.call_id for c in kept]
    assert len(kept) < len(original.calls)  # calls hours later are dropped


def test_the_pool_timers_are_divided_by_the_factor_in_whole_seconds() -> None:
    pool = scaled_pool(
        PoolSetup.sized(
            3, lease_seconds=1800, hold_seconds=420, display_delay_seconds=50, idle_reclaim_seconds=3600
        ),
        60,
    )
    assert (pool.lease_seconds, pool.hold_seconds, pool.display_delay_seconds, pool.idle_reclaim_seconds) == (
        30,
        7,
        1,
        60,
    )


def _grant(number: str, at: datetime) -> LeaseGranted:
    return LeaseGranted(
        event_id=f"00000000-0000-0000-0000-{int(at.timestamp()):012d}",
        occurred_at=at,
        recorded_at=at,
        tenant_id="t",
        site_id="s",
        payload=LeaseGrantedPayload(
            lease_id="l",
            pool_id="p",
            number=number,
            visitor_id="someone-else",
            visit_id="x.0",
            expires_at=at + timedelta(seconds=30),
            session=SessionSnapshot(),
        ),
    )


def test_a_difference_is_explained_only_with_a_lease_event_of_the_dialled_number_within_the_tolerance() -> (
    None
):
    sent = scale(
        generate(busy_hour(late_call_share=0.0), np.random.default_rng(3), T0),
        60,
        WALL,
        horizon=timedelta(minutes=5),
    )
    near, far = sent.calls[0], sent.calls[1]
    right = CallAnswer("dynamic", near.visitor_id, "s0.0", 1.0, None)
    overflow = CallAnswer("overflow", None, None, 0.0, None)
    fast = EngineResult(
        answers={near.call_id: right, far.call_id: right},
        dialled={near.call_id: "+12025550100", far.call_id: "+12025550101"},
        lease_events=[
            _grant("+12025550100", near.at + timedelta(milliseconds=300)),
            _grant("+12025550101", far.at + timedelta(seconds=5)),
        ],
    )
    live = EngineResult(
        answers={near.call_id: overflow, far.call_id: overflow},
        dialled={near.call_id: "+12025550100", far.call_id: "+12025550101"},
    )
    agreement = compare(sent, fast, live, timedelta(seconds=1))

    assert [c.call_id for c in agreement.explained] == [near.call_id]
    assert [c.call_id for c in agreement.unexplained] == [far.call_id]
    assert all(c.agrees for c in agreement.calls[2:])  # neither mode answered them: alike


def test_a_leave_beacon_is_dropped_while_another_tab_of_the_visitor_is_open_but_not_on_navigation() -> None:
    def at(second: float) -> datetime:
        return WALL + timedelta(seconds=second)

    activity = (
        Activity(at(0), "start", "v", "a.0"),
        Activity(at(1), "start", "v", "b.0"),  # a second sitting of the same visitor, overlapping
        Activity(at(2), "leave", "v", "a.0"),  # navigation in tab a while b is open: the script sends none
        Activity(at(2), "start", "v", "a.1"),
        Activity(at(3), "heartbeat", "v", "b.0"),
        Activity(at(4), "leave", "v", "b.0"),  # a.1 still open
        Activity(at(5), "heartbeat", "v", "a.1"),
        Activity(at(6), "leave", "v", "a.1"),  # the last tab closes
        Activity(at(7), "start", "w", "c.0"),
        Activity(at(8), "leave", "w", "c.0"),
        Activity(at(8), "start", "w", "c.1"),  # a navigation in the only tab keeps its beacon
        Activity(at(9), "leave", "w", "c.1"),
    )
    scenario = scale(generate(busy_hour(0.0), np.random.default_rng(1), T0), 60, WALL, horizon=timedelta(0))
    kept = without_overlapping_leaves(replace(scenario, activity=activity)).activity

    assert [(a.at.second, a.visit_id) for a in kept if a.kind == "leave"] == [
        (6, "a.1"),
        (8, "c.0"),
        (9, "c.1"),
    ]
