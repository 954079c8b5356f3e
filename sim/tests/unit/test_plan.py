"""The planner's search and the vendors' rules of thumb (VENDORS.md section E)."""

from __future__ import annotations

from collections import Counter

from ctrack_sim.metrics import Accuracy
from ctrack_sim.plan import Evaluate, PlanInput, plan, rules_of_thumb
from ctrack_sim.report import Case


def accuracy_growing_with_pool(threshold: int) -> Evaluate:
    """A stand-in for the simulation: 99 % from `threshold` numbers up, 80 % below."""

    def evaluate(cases: list[Case]) -> list[Accuracy]:
        return [Accuracy(100, 99 if c.size >= threshold else 80, 0, Counter()) for c in cases]

    return evaluate


def test_nimbata_s_worked_example_gives_ten_numbers() -> None:
    rules = rules_of_thumb(PlanInput(peak_hour_arrivals=200, mean_session_seconds=180))
    assert rules["Nimbata: peak-hour visitors / (60 / session minutes)"] == 10


def test_the_plan_finds_the_smallest_pool_meeting_the_target() -> None:
    evaluate = accuracy_growing_with_pool(threshold=23)
    result = plan(PlanInput(peak_hour_arrivals=200), evaluate=evaluate)
    assert result.recommended == 23
    assert 22 in result.tried and result.tried[22].accuracy < 0.97


def test_no_recommendation_when_no_pool_size_meets_the_target() -> None:
    evaluate = accuracy_growing_with_pool(threshold=10**6)
    result = plan(PlanInput(peak_hour_arrivals=200), evaluate=evaluate)
    assert result.recommended is None
    assert max(result.tried) >= 3 * result.little


def test_the_simulated_traffic_has_the_given_peak_hour_and_mean_session() -> None:
    params = PlanInput(peak_hour_arrivals=300, mean_session_seconds=240).params()
    assert round(params.peak_hour_arrivals) == 300
    assert round(params.mean_session_seconds) == 240
