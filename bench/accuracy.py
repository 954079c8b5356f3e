"""Accuracy of the pool policy and the join against ground truth (no stack needed).

    python -m bench.accuracy [--days 1] [--visitors-per-day 2000] [--call-boost 10] [--workers 2] [--png PATH]

Simulated traffic (`ctrack_sim.model` defaults) runs through the real allocator core and the real
join (`ctrack_sim.engine`) at pool = the Little's-law size, 1.2x and 1.5x, for the default policy and
alternatives. Calls never take numbers, so `--call-boost` multiplies every source's call rate to
narrow the confidence interval without changing the load on the pool.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from ctrack_sim.model import TrafficParams
from ctrack_sim.report import (
    Case,
    Policy,
    accuracy_table,
    chart,
    evaluate_all,
    little_pool,
    reliability_table,
)

POLICIES = (
    Policy("default (hold 7 min)"),
    Policy("hold 2 min", hold_seconds=120),
    Policy("hold 15 min", hold_seconds=900),
    Policy("display delay 50 s", display_delay_seconds=50),
)
MULTIPLES = (1.0, 1.2, 1.5)


def bench_params(days: float, visitors_per_day: float, call_boost: float) -> TrafficParams:
    base = TrafficParams(days=days, visitors_per_day=visitors_per_day)
    sources = tuple(replace(s, call_rate=min(1.0, s.call_rate * call_boost)) for s in base.sources)
    return replace(base, sources=sources)


def print_accuracy(
    *,
    days: float = 1.0,
    visitors_per_day: float = 2000.0,
    call_boost: float = 10.0,
    workers: int = 2,
    png: Path | None = Path(".ctrack/accuracy.png"),
    console: Console | None = None,
) -> None:
    """Print the accuracy table (and write the chart): the `make bench` section."""
    console = console or Console(width=200)
    params = bench_params(days, visitors_per_day, call_boost)
    cases = [
        Case(
            f"{policy.name} {multiple:g}x", params, policy, math.ceil(little_pool(params, policy) * multiple)
        )
        for policy in POLICIES
        for multiple in MULTIPLES
    ]
    started = time.perf_counter()
    outcomes = evaluate_all(cases, workers=workers)
    wall = time.perf_counter() - started
    console.print(
        f"accuracy against ground truth: {days:g} days of {visitors_per_day:g} visitors/day "
        f"(peak hour {params.peak_hour_arrivals:.0f} arrivals, mean session {params.mean_session_seconds:.0f} s), "
        f"call rates x{call_boost:g}; real allocator core + real join, fast mode"
    )
    console.print(accuracy_table(outcomes, "accuracy by policy and pool size (1x = Little's law)"))
    default_12 = next(o for o in outcomes if o.case.policy == POLICIES[0] and o.case.label.endswith("1.2x"))
    console.print(
        reliability_table(default_12.reliability, "join confidence vs ground truth (default, 1.2x)")
    )
    timing = ", ".join(
        f"{name} {100 * ok / n:.0f} % of {n}"
        for name, (ok, n) in sorted(default_12.accuracy.by_timing.items())
    )
    console.print(f"accuracy by call timing (default, 1.2x): {timing}")
    cpu = sum(o.cpu_seconds for o in outcomes)
    sessions = sum(o.sessions for o in outcomes)
    console.print(
        f"{len(cases)} runs, {sessions} simulated sessions in {wall:.0f} s wall, {cpu:.0f} s CPU "
        f"({1e3 * cpu / max(sessions, 1):.2f} ms CPU per session)"
    )
    if png is not None:
        series = {
            p.name: [(m, o.accuracy) for m, o in zip(MULTIPLES, outcomes[i * 3 : i * 3 + 3], strict=True)]
            for i, p in enumerate(POLICIES)
        }
        console.print(f"chart: {chart(series, png, 'accuracy and misattribution vs pool size')}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=float, default=1.0)
    parser.add_argument("--visitors-per-day", type=float, default=2000.0)
    parser.add_argument("--call-boost", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--png", type=Path, default=Path(".ctrack/accuracy.png"))
    args = parser.parse_args()
    print_accuracy(
        days=args.days,
        visitors_per_day=args.visitors_per_day,
        call_boost=args.call_boost,
        workers=args.workers,
        png=args.png,
    )


if __name__ == "__main__":
    main()
