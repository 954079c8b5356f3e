"""`ctrack sim` (the accuracy report) and `ctrack plan` (the pool planner); registered on the `ctrack` CLI.

ctrack sim  [--days 1] [--visitors-per-day 2000] [--hold 420] [--delay 0] [--png .ctrack/sim.png]
ctrack sim --live [--minutes 20] [--factor 60] [--pool 5] [--grace 120] (against `make run`'s stack)
ctrack plan --peak-hour-arrivals 200 [--session-minutes 3] [--hold-minutes 7] [--target 0.97]
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

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
    lease: Annotated[int, typer.Option(help="Lease length, seconds.")] = 120,
    late_share: Annotated[float, typer.Option(help="Share of calls made hours or days later.")] = 0.15,
    call_boost: Annotated[
        float, typer.Option(help="Multiply call rates (calls take no numbers: narrows the interval).")
    ] = 10.0,
    seed: Annotated[int, typer.Option()] = 1,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    png: Annotated[Path, typer.Option(help="Where to write the chart.")] = Path(".ctrack/sim-accuracy.png"),
    live: Annotated[
        bool,
        typer.Option(
            help="Replay a short scenario on the running stack (make run) and compare with fast mode."
        ),
    ] = False,
    minutes: Annotated[
        float, typer.Option(help="Live: scenario minutes to replay (a flat hour profile).")
    ] = 20.0,
    factor: Annotated[
        float, typer.Option(help="Live: scenario seconds per wall second (timers too).")
    ] = 60.0,
    pool: Annotated[int, typer.Option(help="Live: pool size.")] = 5,
    grace: Annotated[float, typer.Option(help="Live: the stack's JOIN_GRACE_SECONDS.")] = 120.0,
    tracker_url: Annotated[str, typer.Option(help="Live: session-tracker.")] = "http://127.0.0.1:8101",
    allocator_url: Annotated[
        str, typer.Option(help="Live: number-allocator (admin API).")
    ] = "http://127.0.0.1:8102",
    ingest_url: Annotated[
        str, typer.Option(help="Live: call-ingest (Twilio webhooks).")
    ] = "http://127.0.0.1:8103",
    kafka: Annotated[str, typer.Option(help="Live: Kafka bootstrap (attributed-calls).")] = "127.0.0.1:9092",
    admin_key: Annotated[
        str, typer.Option(envvar="ADMIN_API_KEY", help="Live: admin API key.")
    ] = "dev-admin-key",
    twilio_token: Annotated[
        str, typer.Option(envvar="TWILIO_AUTH_TOKEN", help="Live: Twilio auth token call-ingest checks.")
    ] = "development-only-twilio-auth-token",
) -> None:
    """Simulate traffic with ground truth through the real pool policy and join; print the accuracy report.

    With --live, replay a short scenario on the running stack instead (sim/README.md, "Live mode")."""
    # Imported here: `ctrack` loads the simulator (numpy, the services' domain cores) only for this command.
    import numpy as np

    from ctrack_sim.live import LiveTarget, live_report
    from ctrack_sim.model import TrafficParams, generate
    from ctrack_sim.report import (
        SIM_START,
        Case,
        Policy,
        accuracy_table,
        chart,
        evaluate_all,
        little_pool,
        reliability_table,
        sensitivity_cases,
    )

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
    if live:
        target = LiveTarget(tracker_url, allocator_url, ingest_url, kafka, admin_key, twilio_token)
        short = replace(params, days=minutes / (24 * 60), hourly_profile=(1.0,) * 24)
        report = live_report(
            target,
            generate(short, np.random.default_rng(seed), SIM_START),
            policy.setup(pool),
            factor=factor,
            grace=timedelta(seconds=grace),
            progress=console.print,
        )
        for table in report.tables():
            console.print(table)
        console.print(report.summary())
        for failure in report.run.failures[:10]:
            console.print(f"  failed: {failure}")
        return
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
    from ctrack_sim.plan import PlanInput, plan, plan_table  # see sim_command

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
