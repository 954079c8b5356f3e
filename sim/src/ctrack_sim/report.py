"""Accuracy reports: one case (traffic x pool x policy) simulated and scored, sweeps over pool size and
policy, the sensitivity table, the confidence reliability table, rich tables and a PNG chart.

Cases run in worker processes (`workers`, default 2: this machine's cores). Every case of a sweep
uses the same seed, so the traffic is the same and only the pool or the policy differs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rich.table import Table

from ctrack_sim.engine import PoolSetup, run
from ctrack_sim.metrics import Accuracy, ReliabilityBin, engine_calls, reliability, score
from ctrack_sim.model import Scenario, TrafficParams, generate

__all__ = [
    "Case",
    "Outcome",
    "Policy",
    "accuracy_table",
    "chart",
    "evaluate",
    "evaluate_all",
    "little_pool",
    "reliability_table",
    "sensitivity_cases",
    "simulate",
]

SIM_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; the profile has no weekly shape


@dataclass(frozen=True)
class Policy:
    """Pool timers (seconds) under test; the defaults are the services' defaults."""

    name: str = "default (hold 7 min)"
    hold_seconds: int = 420
    lease_seconds: int = 120
    display_delay_seconds: int = 0
    idle_reclaim_seconds: int | None = 3600

    def setup(self, size: int) -> PoolSetup:
        return PoolSetup.sized(
            size,
            hold_seconds=self.hold_seconds,
            lease_seconds=self.lease_seconds,
            display_delay_seconds=self.display_delay_seconds,
            idle_reclaim_seconds=self.idle_reclaim_seconds,
        )


def little_pool(params: TrafficParams, policy: Policy) -> int:
    """Little's law: concurrent visitors = peak-hour arrival rate x (average session + hold)."""
    rate = params.peak_hour_arrivals / 3600
    return max(1, math.ceil(rate * (params.mean_session_seconds + policy.hold_seconds)))


@dataclass(frozen=True)
class Case:
    label: str
    params: TrafficParams
    policy: Policy
    size: int
    seed: int = 1


@dataclass(frozen=True)
class Outcome:
    case: Case
    accuracy: Accuracy
    reliability: list[ReliabilityBin]
    exhausted_minutes: float
    denied: int
    granted: int
    cpu_seconds: float
    sessions: int = 0
    activity: int = 0


def simulate(params: TrafficParams, policy: Policy, size: int, seed: int = 1) -> tuple[Scenario, Outcome]:
    started = time.process_time()
    scenario = generate(params, np.random.default_rng(seed), SIM_START)
    result = run(scenario.activity, engine_calls(scenario), policy.setup(size), until=scenario.end)
    outcome = Outcome(
        case=Case("", params, policy, size, seed),
        accuracy=score(scenario, result),
        reliability=reliability(scenario, result),
        exhausted_minutes=result.exhausted_seconds / 60,
        denied=result.denied,
        granted=result.granted,
        cpu_seconds=time.process_time() - started,
        sessions=len(scenario.sessions),
        activity=len(scenario.activity),
    )
    return scenario, outcome


def evaluate(case: Case) -> Outcome:
    _, outcome = simulate(case.params, case.policy, case.size, case.seed)
    return replace(outcome, case=case)


def evaluate_all(cases: Sequence[Case], workers: int = 2) -> list[Outcome]:
    """Every case, in order; in `workers` processes (1: in this process)."""
    if workers <= 1 or len(cases) <= 1:
        return [evaluate(c) for c in cases]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(evaluate, cases))


def sensitivity_cases(params: TrafficParams, policy: Policy, size: int) -> list[Case]:
    """The same pool under the model's most uncertain parameters moved each way, one at a time:
    the share of calls made long after the visit, and the length of engaged sessions."""
    cases = [Case("model defaults", params, policy, size)]
    for late in (0.05, 0.30):
        cases.append(
            Case(
                f"late calls {100 * late:.0f} % (default {100 * params.late_call_share:.0f} %)",
                replace(params, late_call_share=late),
                policy,
                size,
            )
        )
    for factor in (0.5, 2.0):
        engaged = params.engaged_mean_seconds * factor
        cases.append(
            Case(
                f"engaged sessions x{factor:g} ({engaged / 60:.1f} min)",
                replace(params, engaged_mean_seconds=engaged),
                policy,
                size,
            )
        )
    return cases


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def accuracy_table(outcomes: Sequence[Outcome], title: str) -> Table:
    """Correct, misattributed and unattributed (by reason) per case."""
    reasons = sorted({r for o in outcomes for r in o.accuracy.unattributed})
    table = Table(title=title)
    for column in ("case", "pool", "calls", "accuracy", "misattributed", *reasons, "exhausted min"):
        table.add_column(column, justify="left" if column == "case" else "right")
    for o in outcomes:
        a = o.accuracy
        table.add_row(
            o.case.label,
            str(o.case.size),
            str(a.calls),
            f"{_pct(a.accuracy)} ±{100 * a.interval():.1f}",
            _pct(a.misattribution),
            *(_pct(a.unattributed[r] / a.calls if a.calls else 0.0) for r in reasons),
            f"{o.exhausted_minutes:.0f}",
        )
    return table


def reliability_table(bins: Sequence[ReliabilityBin], title: str) -> Table:
    """The join's confidence against ground truth: of the calls given confidence ~c, the share right."""
    table = Table(title=title)
    for column in ("confidence", "calls", "share correct"):
        table.add_column(column, justify="right")
    for b in bins:
        table.add_row(f"{b.low:.1f}-{b.high:.1f}", str(b.calls), _pct(b.share_correct) if b.calls else "-")
    return table


def chart(series: dict[str, list[tuple[float, Accuracy]]], path: Path, title: str) -> Path:
    """Accuracy (solid) and misattribution (dashed) against pool size / Little's-law size, per policy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for name, points in series.items():
        xs = [x for x, _ in points]
        line = axes.plot(xs, [100 * a.accuracy for _, a in points], marker="o", label=f"{name}: accuracy")
        axes.plot(
            xs,
            [100 * a.misattribution for _, a in points],
            linestyle="--",
            marker="x",
            color=line[0].get_color(),
            label=f"{name}: misattributed",
        )
    axes.axhline(97, color="grey", linewidth=0.8, linestyle=":")
    axes.axhline(1, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel("pool size / Little's-law size")
    axes.set_ylabel("% of calls from visitors")
    axes.set_ylim(0, 100)
    axes.set_title(title)
    axes.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
