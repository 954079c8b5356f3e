"""`ctrack sim` (the accuracy report) and `ctrack plan` (the pool planner); registered on the `ctrack` CLI.

ctrack sim  [--days 1] [--visitors-per-day 2000] [--hold 420] [--delay 0] [--png .ctrack/sim.png]
ctrack plan --peak-hour-arrivals 200 [--session-minutes 3] [--hold-minutes 7] [--target 0.97]
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ctrack_sim.model import TrafficParams
from ctrack_sim.plan import PlanInput, plan, plan_table
from ctrack_sim.report import (
    Case,
    Policy,
    accuracy_table,
    chart,
    evaluate_all,
    little_pool,
    reliability_table,
    sensitivity_cases,
)

__all__ = ["plan_command", "sim_command"]

console = Console(width=200)

POOL_MULTIPLES = (0.6, 0.8, 1.0, 1.2, 1.5, 2.0)
HOLDS = (120, 420, 900)


def sim_command(
    *,
    days: Annotated[float, typer.Option(help="Days of traffic to simulate.")] = 1.0,
    visitors_per_day: Annotated[float, typer.Option(help="Sessions per day (bots included).")] = 2000.0,
    hold: Annotated[int, typer.Option(help="Hold after a lease ends, seconds.")] = 420,
    delay: Annotated[int, typer.Option(help="Display delay, seconds.")] = 0,
    reclaim: Annotated[int, typer.Option(help="Idle reclaim, seconds.")] = 3600,
    lease: Annotated[int, typer.Option(help="Lease length, seconds.")] = 1800,
    late_share: Annotated[float, typer.Option(help="Share of calls made hours or days later.")] = 0.15,
    call_boost: Annotated[
        float, typer.Option(help="Multiply call rates (calls take no numbers: narrows the interval).")
    ] = 10.0,
    seed: Annotated[int, typer.Option()] = 1,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    png: Annotated[Path, typer.Option(help="Where to write the chart.")] = Path(".ctrack/sim-accuracy.png"),
) -> None:
    """Simulate traffic with ground truth through the real pool policy and join; print the accuracy report."""
    base = TrafficParams(days=days, visitors_per_day=visitors_per_day, late_call_share=late_share)
    params = replace(
        base, sources=tuple(replace(s, call_rate=min(1.0, s.call_rate * call_boost)) for s in base.sources)
    )
    policy = Policy(
        f"hold {hold} s",
        hold_seconds=hold,
        display_delay_seconds=delay,
        idle_reclaim_seconds=reclaim,
        lease_seconds=lease,
    )
    little = little_pool(params, policy)
    size = math.ceil(1.2 * little)
    by_pool = [
        Case(f"{m:g}x Little", params, policy, max(1, math.ceil(m * little)), seed) for m in POOL_MULTIPLES
    ]
    by_hold = [
        Case(f"hold {h} s", params, replace(policy, name=f"hold {h} s", hold_seconds=h), size, seed)
        for h in HOLDS
    ]
    sensitivity = sensitivity_cases(params, policy, size)
    outcomes = evaluate_all([*by_pool, *by_hold, *sensitivity], workers=workers)
    pool_out, hold_out = outcomes[: len(by_pool)], outcomes[len(by_pool) : len(by_pool) + len(by_hold)]
    sens_out = outcomes[len(by_pool) + len(by_hold) :]
    console.print(
        f"{days:g} days, {visitors_per_day:g} sessions/day, peak hour {params.peak_hour_arrivals:.0f}, "
        f"mean session {params.mean_session_seconds:.0f} s; Little's-law pool {little} (1.2x = {size})"
    )
    console.print(accuracy_table(pool_out, "by pool size"))
    console.print(accuracy_table(hold_out, f"by hold, pool {size}"))
    console.print(accuracy_table(sens_out, f"sensitivity to the model's uncertain parameters, pool {size}"))
    console.print(
        reliability_table(
            pool_out[POOL_MULTIPLES.index(1.2)].reliability, f"confidence vs truth, pool {size}"
        )
    )
    series = {policy.name: [(m, o.accuracy) for m, o in zip(POOL_MULTIPLES, pool_out, strict=True)]}
    console.print(f"chart: {chart(series, png, 'accuracy vs pool size')}")


def plan_command(
    *,
    peak_hour_arrivals: Annotated[float, typer.Option(help="Visitors arriving in the busiest hour.")],
    session_minutes: Annotated[float, typer.Option(help="Average session, minutes.")] = 3.0,
    hold_minutes: Annotated[float, typer.Option(help="Hold after a lease ends, minutes.")] = 7.0,
    target: Annotated[float, typer.Option(help="Accuracy wanted, 0-1.")] = 0.97,
    days: Annotated[float, typer.Option(help="Days of traffic simulated per pool size.")] = 1.0,
    seed: Annotated[int, typer.Option()] = 1,
) -> None:
    """Recommend the smallest pool meeting a target accuracy, beside Little's law and the rules of thumb."""
    if not 0 < target <= 1:
        raise typer.BadParameter("target must be in (0, 1]", param_hint="--target")
    request = PlanInput(
        peak_hour_arrivals=peak_hour_arrivals,
        mean_session_seconds=session_minutes * 60,
        hold_seconds=round(hold_minutes * 60),
        target_accuracy=target,
        days=days,
        seed=seed,
    )
    result = plan(request)
    console.print(plan_table(result))
    if result.recommended is None:
        best = max(result.tried.values(), key=lambda a: a.accuracy)
        console.print(
            f"[bold]No pool size tried meets {100 * target:.0f} %[/] (best {100 * best.accuracy:.1f} %): "
            "what limits it is not the pool (see the unattributed reasons of `ctrack sim`)."
        )
