"""The traffic model's statistics match its parameters, within tolerances from the sample size."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ctrack_sim.model import Scenario, TrafficParams, generate

START = datetime(2026, 1, 5, tzinfo=UTC)
PARAMS = TrafficParams(days=4, visitors_per_day=3000)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(PARAMS, np.random.default_rng(7), START)


def within_binomial(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def test_arrivals_per_day_are_poisson_around_the_daily_volume(scenario: Scenario) -> None:
    expected = PARAMS.visitors_per_day * PARAMS.days
    assert abs(len(scenario.sessions) - expected) <= 4 * math.sqrt(expected)


def test_the_busiest_hour_follows_the_daily_profile(scenario: Scenario) -> None:
    peak = PARAMS.hourly_profile.index(max(PARAMS.hourly_profile))
    per_day = Counter(s.started_at.date() for s in scenario.sessions if s.started_at.hour == peak)
    observed = sum(per_day.values()) / PARAMS.days
    assert abs(observed - PARAMS.peak_hour_arrivals) <= 4 * math.sqrt(PARAMS.peak_hour_arrivals / PARAMS.days)


def test_bots_and_bounces_take_their_shares(scenario: Scenario) -> None:
    sessions = scenario.sessions
    bots = sum(s.bot for s in sessions)
    humans = [s for s in sessions if not s.bot]
    assert within_binomial(bots, len(sessions), PARAMS.bot_share)
    assert within_binomial(sum(s.bounce for s in humans), len(humans), PARAMS.bounce_share)


def test_the_mean_human_session_is_the_documented_mean(scenario: Scenario) -> None:
    durations = np.array(
        [(s.ended_at - s.started_at).total_seconds() for s in scenario.sessions if not s.bot]
    )
    standard_error = durations.std() / math.sqrt(len(durations))
    assert abs(durations.mean() - PARAMS.mean_session_seconds) <= 5 * standard_error


def test_session_lengths_are_heavy_tailed(scenario: Scenario) -> None:
    engaged = np.array(
        [(s.ended_at - s.started_at).total_seconds() for s in scenario.sessions if not (s.bot or s.bounce)]
    )
    # A lognormal's mean sits well above its median; some sessions last many times the mean.
    assert engaged.mean() > 1.3 * np.median(engaged)
    assert engaged.max() > 8 * PARAMS.engaged_mean_seconds


def test_call_timing_follows_the_late_and_during_shares(scenario: Scenario) -> None:
    first_calls = [c for c in scenario.calls if c.timing != "repeat"]
    timing = Counter(c.timing for c in first_calls)
    n = len(first_calls)
    assert within_binomial(timing["late"], n, PARAMS.late_call_share)
    assert within_binomial(timing["during"], n, (1 - PARAMS.late_call_share) * PARAMS.during_share)


def test_the_call_rate_is_the_sources_weighted_rate(scenario: Scenario) -> None:
    humans = [s for s in scenario.sessions if not s.bot]
    rate = sum(s.share * s.call_rate for s in PARAMS.sources) / sum(s.share for s in PARAMS.sources)
    callers = len({c.session_id for c in scenario.calls})
    assert within_binomial(callers, len(humans), rate)


def test_calls_keep_to_their_timing(scenario: Scenario) -> None:
    sessions = {s.session_id: s for s in scenario.sessions}
    for call in scenario.calls:
        session = sessions[call.session_id]
        assert not session.bot
        if call.timing == "during":
            assert session.started_at <= call.at <= session.ended_at
        elif call.timing in ("soon", "late"):
            assert call.at >= session.ended_at
            assert call.at - session.ended_at <= timedelta(days=PARAMS.late_max_days)
        else:
            assert call.redial_of is not None


def test_activity_is_time_ordered_and_every_page_belongs_to_its_session(scenario: Scenario) -> None:
    times = [a.at for a in scenario.activity]
    assert times == sorted(times)
    visitor_of = {s.session_id: s.visitor_id for s in scenario.sessions}
    for activity in scenario.activity:
        assert activity.visitor_id == visitor_of[scenario.session_of_visit[activity.visit_id]]


def test_the_same_seed_gives_the_same_scenario() -> None:
    params = TrafficParams(days=0.2)
    first = generate(params, np.random.default_rng(3), START)
    again = generate(params, np.random.default_rng(3), START)
    assert first.activity == again.activity
    assert first.calls == again.calls
