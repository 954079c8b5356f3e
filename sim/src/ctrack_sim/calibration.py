"""Calibrate the join's confidence against ground truth, and print the reliability table.

    python -m ctrack_sim.calibration [--days 1] [--visitors-per-day 2000] [--call-boost 10]

Runs the default pool policy at 1x, 1.2x and 1.5x the Little's-law pool with a permissive
confidence model (every last holder named, however long ago), records for every call the join
named a session for what the answer rested on (`join_port.CallAnswer.basis`) and whether it was
right, and fits `ConfidenceModel`'s parameters to the share right:

- `live`: the share right of calls while the lease was in force;
- `hold_start`/`hold_end`: a least-squares line over the fraction of the hold elapsed (its start
  capped at `live`);
- `last_holder`/`last_holder_half_life_seconds`: an exponential decay over the time since the last
  hold ended (grid search, squared error weighted by calls); `last_holder_max_seconds`: the start of
  the first time bin where the last holder is right less than `--min-share` (default 0.5) of the time;
- `repeat_caller`: the share right of answers given by the repeat-caller rule.

It then re-runs the same cases with the fitted model and prints the reliability table (confidence
bin -> share right) and accuracy. The fitted numbers are kept as `ConfidenceModel`'s defaults.
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
from rich.console import Console
from rich.table import Table

from attribution.domain import ConfidenceModel
from ctrack_sim.engine import run
from ctrack_sim.join_port import Join
from ctrack_sim.metrics import Accuracy, ReliabilityBin, engine_calls, reliability, score
from ctrack_sim.model import TrafficParams, generate
from ctrack_sim.report import SIM_START, Policy, little_pool, reliability_table

__all__ = ["Named", "fit", "main", "named_answers"]

PERMISSIVE = replace(
    ConfidenceModel(),
    last_holder=1.0,
    last_holder_half_life_seconds=math.inf,
    last_holder_max_seconds=math.inf,
)
MULTIPLES = (1.0, 1.2, 1.5)
# Time since the last hold ended, in seconds: the bins of the last-holder fit.
LAST_HOLDER_BINS = (0, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, math.inf)


@dataclass(frozen=True)
class Named:
    """One call the join named a session for: what the answer rested on, and whether it was right."""

    basis: str
    elapsed: float
    holders: int
    confidence: float
    correct: bool


@dataclass(frozen=True)
class _Run:
    params: TrafficParams
    size: int
    model: ConfidenceModel
    seed: int = 1


def _simulate(case: _Run) -> tuple[list[Named], Accuracy, list[tuple[float, float, int, int]]]:
    Join.default_model = case.model
    scenario = generate(case.params, np.random.default_rng(case.seed), SIM_START)
    result = run(scenario.activity, engine_calls(scenario), Policy().setup(case.size), until=scenario.end)
    named = []
    for call in scenario.calls:
        answer = result.answers.get(call.call_id) if result.dialled.get(call.call_id) else None
        if answer is None or answer.visit_id is None or answer.basis is None:
            continue
        correct = scenario.session_of_visit.get(answer.visit_id) == call.session_id
        named.append(Named(answer.basis, answer.elapsed, answer.holders, answer.confidence, correct))
    bins = [(b.low, b.high, b.calls, b.correct) for b in reliability(scenario, result)]
    return named, score(scenario, result), bins


def named_answers(
    runs: Sequence[_Run], workers: int
) -> list[tuple[list[Named], Accuracy, list[tuple[float, float, int, int]]]]:
    if workers <= 1:
        return [_simulate(r) for r in runs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_simulate, runs))


def _share(rows: Sequence[Named]) -> float:
    return sum(r.correct for r in rows) / len(rows) if rows else float("nan")


def fit(named: Sequence[Named], min_share: float = 0.5) -> ConfidenceModel:
    """The model whose confidences match the shares right in `named` (see the module docstring)."""
    live = [r for r in named if r.basis == "live" and r.holders == 1]
    hold = [r for r in named if r.basis == "hold" and r.holders == 1]
    shared = [r for r in named if r.basis in ("live", "hold") and r.holders > 1]
    last = [r for r in named if r.basis == "last_holder"]
    repeat = [r for r in named if r.basis == "repeat_caller"]
    model = ConfidenceModel(per_extra_visitor=0.0, shared_floor=1.0, returning_visitor_bonus=0.0)
    if live:
        model = replace(model, live=round(_share(live), 2))
    if len(hold) >= 2:
        slope, intercept = np.polyfit([r.elapsed for r in hold], [float(r.correct) for r in hold], 1)
        # A call in the hold is never surer than one during the lease: the line is capped at `live`.
        start = min(model.live, max(0.0, intercept))
        end = min(start, max(0.0, intercept + slope))
        model = replace(model, hold_start=round(float(start), 2), hold_end=round(float(end), 2))
    if repeat:
        model = replace(model, repeat_caller=round(_share(repeat), 2))
    if shared and live:
        # Relative to a lone holder's share, per extra holder (geometric mean over the calls).
        extra = sum(r.holders - 1 for r in shared) / len(shared)
        ratio = min(1.0, _share(shared) / _share(live))
        model = replace(model, concurrent_factor=round(ratio ** (1 / extra), 2))
    if last:
        start, half_life, maximum = _fit_last_holder(last, min_share)
        model = replace(
            model,
            last_holder=start,
            last_holder_half_life_seconds=half_life,
            last_holder_max_seconds=maximum,
        )
    return model


def _fit_last_holder(last: Sequence[Named], min_share: float) -> tuple[float, float, float]:
    """(start, half-life, maximum): the decay that fits the share right, and where it falls too low."""
    times = np.array([r.elapsed for r in last])
    right = np.array([float(r.correct) for r in last])
    best = (math.inf, 1.0, 3600.0)
    for start in np.linspace(0.05, 1.0, 20):
        for half_life in (300, 600, 900, 1800, 2700, 3600, 5400, 7200, 10800, 14400, 21600, 43200, 86400):
            error = float(np.sum((start * 0.5 ** (times / half_life) - right) ** 2))
            if error < best[0]:
                best = (error, float(start), float(half_life))
    maximum = math.inf
    for low, high in itertools.pairwise(LAST_HOLDER_BINS):
        rows = [r for r in last if low <= r.elapsed < high]
        if len(rows) >= 5 and _share(rows) < min_share:
            maximum = float(low)
            break
    return round(best[1], 2), best[2], maximum


def _basis_table(named: Sequence[Named]) -> Table:
    table = Table(title="what named answers rested on (permissive model), share right")
    for column in ("basis", "elapsed", "calls", "share right"):
        table.add_column(column, justify="right")
    for basis in ("live", "repeat_caller", "shared"):
        rows = (
            [r for r in named if r.basis == basis and r.holders <= 1]
            if basis != "shared"
            else [r for r in named if r.holders > 1]
        )
        table.add_row(basis, "-", str(len(rows)), f"{100 * _share(rows):.1f} %" if rows else "-")
    for low, high in ((0.0, 0.5), (0.5, 1.01)):
        rows = [r for r in named if r.basis == "hold" and r.holders == 1 and low <= r.elapsed < high]
        table.add_row(
            "hold",
            f"{low:.1f}-{min(high, 1):.1f} of hold",
            str(len(rows)),
            f"{100 * _share(rows):.1f} %" if rows else "-",
        )
    for low, high in itertools.pairwise(LAST_HOLDER_BINS):
        rows = [r for r in named if r.basis == "last_holder" and low <= r.elapsed < high]
        table.add_row(
            "last_holder",
            f"{low / 60:.0f}-{high / 60:.0f} min",
            str(len(rows)),
            f"{100 * _share(rows):.1f} %" if rows else "-",
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--visitors-per-day", type=float, default=2000.0)
    parser.add_argument("--call-boost", type=float, default=10.0)
    parser.add_argument("--min-share", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    base = TrafficParams(days=args.days, visitors_per_day=args.visitors_per_day)
    params = replace(
        base,
        sources=tuple(replace(s, call_rate=min(1.0, s.call_rate * args.call_boost)) for s in base.sources),
    )
    little = little_pool(params, Policy())
    sizes = [max(1, round(little * m)) for m in MULTIPLES]
    console = Console(width=160)
    permissive = named_answers([_Run(params, size, PERMISSIVE) for size in sizes], args.workers)
    named = [row for rows, _, _ in permissive for row in rows]
    console.print(_basis_table(named))
    model = fit(named, args.min_share)
    console.print(f"fitted: {model}")
    fitted = named_answers([_Run(params, size, model) for size in sizes], args.workers)
    pooled: dict[tuple[float, float], list[int]] = {}
    for size, (_, accuracy, bins) in zip(sizes, fitted, strict=True):
        console.print(
            f"pool {size}: accuracy {100 * accuracy.accuracy:.1f} %, misattributed "
            f"{100 * accuracy.misattribution:.1f} %, by timing {accuracy.by_timing}"
        )
        for low, high, calls, correct in bins:
            tally = pooled.setdefault((low, high), [0, 0])
            tally[0] += calls
            tally[1] += correct
    console.print(
        reliability_table(
            [ReliabilityBin(low, high, n, ok) for (low, high), (n, ok) in sorted(pooled.items())],
            "reliability with the fitted model (1x, 1.2x, 1.5x pooled)",
        )
    )


if __name__ == "__main__":
    main()
