"""`ctrack plan`: the smallest pool that meets a target accuracy, beside Little's law and the vendors'
rules of thumb (VENDORS.md section E).

The search simulates the site's traffic (the model's defaults, scaled to the given peak hour and mean
session) in fast mode at growing pool sizes, then narrows down between the last size that missed the
target and the first that met it. Accuracy is not strictly monotone in pool size (sampling noise),
so the answer is the smallest size found that meets it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from rich.table import Table

from ctrack_sim.metrics import Accuracy
from ctrack_sim.model import TrafficParams
from ctrack_sim.report import Case, Policy, evaluate_all, little_pool

__all__ = ["PlanInput", "PoolPlan", "plan", "plan_table", "rules_of_thumb"]

Evaluate = Callable[[list[Case]], list[Accuracy]]


@dataclass(frozen=True)
class PlanInput:
    """A site's traffic figures and the accuracy wanted."""

    peak_hour_arrivals: float
    mean_session_seconds: float = 180.0
    hold_seconds: int = 420
    target_accuracy: float = 0.97
    days: float = 2.0
    call_boost: float = 10.0
    seed: int = 1

    def params(self) -> TrafficParams:
        """The model's defaults with this peak hour and this mean session."""
        base = TrafficParams(days=self.days)
        daily = self.peak_hour_arrivals * sum(base.hourly_profile) / max(base.hourly_profile)
        engaged = (self.mean_session_seconds - base.bounce_share * base.bounce_mean_seconds) / (
            1 - base.bounce_share
        )
        sources = tuple(replace(s, call_rate=min(1.0, s.call_rate * self.call_boost)) for s in base.sources)
        return replace(base, visitors_per_day=daily, engaged_mean_seconds=max(engaged, 1.0), sources=sources)


@dataclass(frozen=True)
class PoolPlan:
    request: PlanInput
    recommended: int | None
    tried: dict[int, Accuracy]
    little: int
    rules: dict[str, float]


def rules_of_thumb(request: PlanInput) -> dict[str, float]:
    """Pool sizes from the vendors' published rules (VENDORS.md section E)."""
    params = request.params()
    minutes = request.mean_session_seconds / 60
    return {
        "Nimbata: peak-hour visitors / (60 / session minutes)": request.peak_hour_arrivals / (60 / minutes),
        "CallTrackingMetrics: 1 number per 20 daily visitors": params.visitors_per_day / 20,
        "matelso: utilisation 100 % (pool = peak-hour visitors)": request.peak_hour_arrivals,
        "CallDynamics: utilisation 75 % (peak-hour visitors / 0.75)": request.peak_hour_arrivals / 0.75,
    }


def _evaluate(cases: list[Case]) -> list[Accuracy]:
    return [o.accuracy for o in evaluate_all(cases)]


def plan(request: PlanInput, evaluate: Evaluate = _evaluate, max_multiple: float = 4.0) -> PoolPlan:
    """Search pool sizes from half the Little's-law size up to `max_multiple` times it."""
    params = request.params()
    policy = Policy("plan", hold_seconds=request.hold_seconds)
    little = little_pool(params, policy)
    tried: dict[int, Accuracy] = {}

    def measure(sizes: list[int]) -> None:
        fresh = sorted({s for s in sizes if s not in tried})
        cases = [Case(f"pool {s}", params, policy, s, request.seed) for s in fresh]
        tried.update(zip(fresh, evaluate(cases), strict=True))

    grid = sorted(
        {max(1, math.ceil(little * m)) for m in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, max_multiple)}
    )
    measure(grid)
    meets = [s for s in grid if tried[s].accuracy >= request.target_accuracy]
    if meets:
        high = meets[0]
        low = max((s for s in grid if s < high), default=0)
        while high - low > 1:
            middle = (low + high) // 2
            measure([middle])
            if tried[middle].accuracy >= request.target_accuracy:
                high = middle
            else:
                low = middle
    recommended = min((s for s, a in tried.items() if a.accuracy >= request.target_accuracy), default=None)
    return PoolPlan(request, recommended, dict(sorted(tried.items())), little, rules_of_thumb(request))


def _accuracy(accuracy: Accuracy) -> str:
    return f"{100 * accuracy.accuracy:.1f} % ±{100 * accuracy.interval():.1f} ({accuracy.calls} calls)"


def plan_table(result: PoolPlan) -> Table:
    r = result.request
    table = Table(
        title=(
            f"pool plan: {r.peak_hour_arrivals:g} peak-hour arrivals, {r.mean_session_seconds / 60:.1f} min "
            f"sessions, hold {r.hold_seconds / 60:.0f} min, target accuracy {100 * r.target_accuracy:.0f} %"
        )
    )
    table.add_column("method")
    table.add_column("pool", justify="right")
    table.add_column("simulated accuracy", justify="right")
    table.add_column("misattributed", justify="right")

    def row(name: str, size: int | None) -> None:
        accuracy = result.tried.get(size) if size is not None else None
        table.add_row(
            name,
            "-" if size is None else str(size),
            _accuracy(accuracy) if accuracy else "",
            f"{100 * accuracy.misattribution:.1f} %" if accuracy else "",
        )

    row("simulation: smallest pool meeting the target", result.recommended)
    row("Little's law: peak arrival rate x (session + hold)", result.little)
    for name, size in result.rules.items():
        row(name, math.ceil(size))
    for size, accuracy in result.tried.items():
        table.add_row(
            f"  tried {size}",
            str(size),
            f"{100 * accuracy.accuracy:.1f} %",
            f"{100 * accuracy.misattribution:.1f} %",
        )
    return table
