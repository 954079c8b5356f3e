"""Fast mode on a scenario small enough to work out by hand.

Pool of two numbers (N1 < N2 in the allocator's order), hold 7 min, lease 30 min, an overflow number:

    time   what happens                                   pool afterwards
    10:00  A opens a page                -> N1 to A       A:N1
    10:01  B opens a page                -> N2 to B       A:N1 B:N2
    10:02  B leaves                      N2 on hold for B until 10:09
    10:02:30  A calls N1 (on the site)   -> A: correct
    10:03  C opens a page: nothing free  -> overflow shown, pool exhausted
    10:03:10  C calls the overflow number -> no session: unattributed
    10:05  A leaves                      N1 on hold for A until 10:12
    10:09  B's hold ends                 N2 free again: exhaustion over (6 min)
    11:00  D opens a page                -> N2 (free the longest) to D
    11:05  B calls N2, written down at 10:01:30 -> the join names D: misattributed
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ctrack_sim.engine import EngineCall, EngineResult, PoolSetup, run
from ctrack_sim.metrics import engine_calls, score
from ctrack_sim.model import Activity, CallPlan, Scenario, TrafficParams

DAY = datetime(2026, 1, 5, tzinfo=UTC)
POOL = PoolSetup.sized(2, hold_seconds=420, lease_seconds=1800)
N1, N2 = POOL.numbers


def at(clock: str) -> datetime:
    hours, minutes, *seconds = (int(part) for part in clock.split(":"))
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


ACTIVITY = (
    Activity(at("10:00"), "start", "A", "a.0"),
    Activity(at("10:01"), "start", "B", "b.0"),
    Activity(at("10:02"), "leave", "B", "b.0"),
    Activity(at("10:03"), "start", "C", "c.0"),
    Activity(at("10:03:30"), "leave", "C", "c.0"),
    Activity(at("10:05"), "leave", "A", "a.0"),
    Activity(at("11:00"), "start", "D", "d.0"),
    Activity(at("11:10"), "leave", "D", "d.0"),
)
CALLS = (
    CallPlan("call-a", at("10:02:30"), "+15550000001", "A", "sa", at("10:02:30"), "during"),
    CallPlan("call-c", at("10:03:10"), "+15550000003", "C", "sc", at("10:03:10"), "during"),
    CallPlan("call-b", at("11:05"), "+15550000002", "B", "sb", at("10:01:30"), "late"),
)
SCENARIO = Scenario(
    params=TrafficParams(days=1),
    start=DAY,
    sessions=(),
    activity=ACTIVITY,
    calls=CALLS,
    session_of_visit={"a.0": "sa", "b.0": "sb", "c.0": "sc", "d.0": "sd"},
)


@pytest.fixture(scope="module")
def result() -> EngineResult:
    return run(ACTIVITY, engine_calls(SCENARIO), POOL, until=at("12:00"))


def test_each_caller_dials_the_number_they_were_shown(result: EngineResult) -> None:
    assert result.dialled == {"call-a": N1, "call-c": POOL.overflow_number, "call-b": N2}


def test_the_join_names_the_session_on_the_number_at_call_time(result: EngineResult) -> None:
    assert result.answers["call-a"].visit_id == "a.0"
    assert result.answers["call-b"].visit_id == "d.0"
    assert result.answers["call-c"].visit_id is None


def test_the_hand_worked_scenario_scores_one_right_one_wrong_one_unattributed(result: EngineResult) -> None:
    accuracy = score(SCENARIO, result)
    assert (accuracy.calls, accuracy.correct, accuracy.wrong) == (3, 1, 1)
    assert sum(accuracy.unattributed.values()) == 1


def test_the_pool_is_exhausted_from_the_denial_to_the_end_of_the_first_hold(result: EngineResult) -> None:
    assert (result.granted, result.denied) == (3, 1)
    assert result.exhausted_seconds == 6 * 60


def test_a_call_before_any_number_is_shown_dials_the_sites_own_number() -> None:
    early = EngineCall("early", at("09:00"), "+15550000009", visitor_id="A", seen_at=at("09:00"))
    result = run(ACTIVITY, [early], POOL)
    assert result.dialled == {"early": None}
    assert "early" not in result.answers


def test_a_repeat_call_dials_the_number_of_the_first_call() -> None:
    first = EngineCall("first", at("10:02:30"), "+15550000001", visitor_id="A", seen_at=at("10:02:30"))
    again = EngineCall("again", at("11:30"), "+15550000001", redial_of="first")
    result = run(ACTIVITY, [first, again], POOL)
    assert result.dialled == {"first": N1, "again": N1}


def test_with_a_display_delay_a_multi_page_visitor_sees_a_pool_number_from_the_delay_after_their_first_page() -> (
    None
):
    """Each page load's leave beacon cancels the deferred grant; the next page resumes it, so time on
    site counts from the first page: 20 s pages, delay 50 s -> the pool number shows from 10:00:50."""
    delayed = PoolSetup.sized(2, display_delay_seconds=50)
    pages = [
        activity
        for n in range(4)
        for activity in (
            Activity(at("10:00") + timedelta(seconds=20 * n), "start", "A", f"a.{n}"),
            Activity(at("10:00") + timedelta(seconds=20 * n + 19), "leave", "A", f"a.{n}"),
        )
    ]
    call = EngineCall("call", at("10:01:10"), "+15550000001", visitor_id="A", seen_at=at("10:01:10"))
    result = run(pages, [call], delayed)
    assert result.dialled == {"call": delayed.numbers[0]}
    assert result.granted == 2  # at 10:00:50, then back from hold on the last page
