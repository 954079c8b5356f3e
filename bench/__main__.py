"""`make bench`: start a throw-away stack and print latency and throughput figures for this machine.

    python -m bench [--visits 2000] [--rate 50] [--events 2000] [--raw 50000] [--repeat 3]

Figures are medians over `--repeat` runs of each measurement, all in one run of the stack, so
their ratios are comparable even on a noisy machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.accuracy import print_accuracy
from bench.broker import raw_produce_consume_rate
from bench.calls import add_call_arguments, print_call_figures
from bench.dni import dni_under_load, script_sizes
from bench.latency import visit_round_trips
from bench.pipeline import events_through
from bench.traffic import BenchSite, call_started, create_bench_site, visit_started
from ctrack_common.events import CallAttributed, Envelope, LeaseDenied, LeaseGranted, LeaseRenewed, encode
from ctrack_common.topics import ATTRIBUTED_CALLS, CALLS, LEASES, VISITS
from ctrack_stack import LocalStack, StackSettings

BENCH_PORT_OFFSET = 40000


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node()}: {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}, Python {platform.python_version()}"


def _is_lease_answer(run: str) -> Callable[[Envelope], bool]:
    def answered(event: Envelope) -> bool:
        return isinstance(
            event, LeaseGranted | LeaseRenewed | LeaseDenied
        ) and event.payload.visit_id.startswith(run)

    return answered


def _is_first_attribution(site: BenchSite) -> Callable[[Envelope], bool]:
    def answered(event: Envelope) -> bool:
        return (
            isinstance(event, CallAttributed)
            and event.tenant_id == site.tenant_id
            and event.payload.version == 1
        )

    return answered


def _print_throughput(bootstrap: str, site: BenchSite, args: argparse.Namespace) -> None:
    sample_size = len(encode(visit_started(site, "size", 0)))
    raw_rates, allocation_rates, attribution_rates = [], [], []
    for attempt in range(args.repeat):
        run = f"{uuid.uuid4().hex[:8]}-{attempt}"
        raw_rates.append(raw_produce_consume_rate(bootstrap, args.raw, sample_size))
        visits = [(site.pool_id, visit_started(site, run, i)) for i in range(args.events)]
        allocation_rates.append(
            events_through(
                bootstrap, source=VISITS, keyed_events=visits, sink=LEASES, is_answer=_is_lease_answer(run)
            )
        )
        calls = [
            (c.payload.tracking_number, c) for c in (call_started(site, run, i) for i in range(args.events))
        ]
        attribution_rates.append(
            events_through(
                bootstrap,
                source=CALLS,
                keyed_events=calls,
                sink=ATTRIBUTED_CALLS,
                is_answer=_is_first_attribution(site),
            )
        )
    raw = statistics.median(raw_rates)
    allocation = statistics.median(allocation_rates)
    attribution = statistics.median(attribution_rates)
    print(f"throughput, median of {args.repeat} runs (events/s, first produce to last answer consumed):")
    print(
        f"  raw broker produce+consume   {raw:10.0f} msg/s   ({args.raw} x {sample_size} B, one client each)"
    )
    print(f"  visits -> leases (allocator) {allocation:10.0f} ev/s    ratio to raw {allocation / raw:.3f}")
    print(f"  calls -> attributed-calls    {attribution:10.0f} ev/s    ratio to raw {attribution / raw:.3f}")
    print(
        f"  (each from {args.events} events; runs: raw {[round(r) for r in raw_rates]}, "
        f"allocation {[round(r) for r in allocation_rates]}, attribution {[round(r) for r in attribution_rates]})"
    )


def _print_dni(
    tracker: str, allocator: str, admin_key: str, load_site: BenchSite, args: argparse.Namespace
) -> None:
    # The sampled page loads use a site of their own whose pool never runs out: each shows a pool number.
    browser_site = create_bench_site(
        allocator,
        admin_key,
        pool_size=args.page_loads + 10,
        lease_seconds=60,
        first_number=len(load_site.numbers),
    )
    visits = int(args.dni_rate * args.dni_seconds)
    figures = dni_under_load(
        tracker,
        load_site_key=load_site.site_key,
        browser_site_key=browser_site.site_key,
        business_number="+12125550100",
        visits=visits,
        rate=args.dni_rate,
        page_loads=args.page_loads,
        run=uuid.uuid4().hex[:8],
    )
    http, browser = figures.http, figures.browser
    print(
        f"visit -> number round trip, {visits} new sessions offered at {args.dni_rate:g}/s (achieved {http.achieved_rate:.1f}/s), outcomes {dict(http.outcomes)}:"
    )
    print(
        f"  p50 {http.percentile(50) * 1000:.1f} ms   p95 {http.percentile(95) * 1000:.1f} ms"
        f"   p99 {http.percentile(99) * 1000:.1f} ms   max {max(http.seconds) * 1000:.1f} ms   (goal: p99 < 50 ms)"
    )
    if browser.milliseconds:
        print(
            f"real Chromium page loads during that load, navigation start -> number in the DOM "
            f"({len(browser.milliseconds)} loads, {browser.during_load} while the load ran, {browser.failed} failed):"
        )
        print(
            f"  p50 {browser.percentile(50):.1f} ms   p95 {browser.percentile(95):.1f} ms"
            f"   p99 {browser.percentile(99):.1f} ms   max {max(browser.milliseconds):.1f} ms"
        )
    else:
        print(f"real Chromium page loads: none showed a number ({browser.failed} failed)")
    minified, gzipped = script_sizes()
    print(f"tracker script: {minified} B minified, {gzipped} B minified+gzipped (budget 5120 B)\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="visits per second offered to the tracker")
    parser.add_argument("--events", type=int, default=2000, help="events per pipeline-rate measurement")
    parser.add_argument("--raw", type=int, default=50_000, help="messages for the raw broker rate")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dni-rate", type=float, default=200.0, help="new sessions per second (DNI figure)")
    parser.add_argument("--dni-seconds", type=float, default=30.0, help="how long the DNI load runs")
    parser.add_argument("--page-loads", type=int, default=20, help="Chromium page loads sampled during it")
    add_call_arguments(parser)
    parser.add_argument("--accuracy-days", type=float, default=1.0, help="simulated days per accuracy run")
    args = parser.parse_args()
    # `timeout` and CI stop with SIGTERM: leave through the stack's context manager, which stops it.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    with tempfile.TemporaryDirectory(prefix="ctrack-bench-") as data_dir:
        settings = StackSettings.isolated(Path(data_dir), port_offset=BENCH_PORT_OFFSET)
        # The tracker's per-client rate limit would refuse a load generator on one address, and its
        # per-address and per-network caps would show it the default number without asking the allocator.
        os.environ.update(
            RATE_LIMIT_PER_SECOND="100000",
            RATE_LIMIT_BURST="100000",
            MAX_NUMBERED_VISITORS_PER_ADDRESS="1000000",
            MAX_NUMBERED_VISITORS_PER_NETWORK="1000000",
        )
        with LocalStack(settings) as stack:
            started = time.perf_counter()
            stack.start_infra()
            stack.start_services()
            stack_seconds = time.perf_counter() - started
            bootstrap = stack.kafka_bootstrap
            allocator = f"http://127.0.0.1:{settings.NUMBER_ALLOCATOR_PORT}"
            tracker = f"http://127.0.0.1:{settings.SESSION_TRACKER_PORT}"
            # 60 s leases: the allocator answers no request older than a lease, and the pipeline
            # measurement publishes its events at once. After 400 grants the pool is exhausted, so most
            # visits get the default number: the round trip through the allocator is the same.
            site = create_bench_site(allocator, settings.ADMIN_API_KEY, pool_size=400, lease_seconds=60)
            print(f"machine: {_machine()}")
            print(f"stack up in {stack_seconds:.1f} s (Kafka 4.4.0 KRaft, ClickHouse 26.9 via chdb)\n")

            round_trips = visit_round_trips(
                tracker, site.site_key, args.visits, args.rate, uuid.uuid4().hex[:8]
            )
            ms = [s * 1000 for s in round_trips.seconds]
            print(
                f"visit -> number round trip, {args.visits} visits offered at {args.rate:g}/s "
                f"(achieved {round_trips.achieved_rate:.1f}/s), outcomes {dict(round_trips.outcomes)}:"
            )
            print(
                f"  p50 {round_trips.percentile(50) * 1000:.1f} ms   p95 {round_trips.percentile(95) * 1000:.1f} ms"
                f"   p99 {round_trips.percentile(99) * 1000:.1f} ms   max {max(ms):.1f} ms\n"
            )

            _print_dni(tracker, allocator, settings.ADMIN_API_KEY, site, args)
            _print_throughput(bootstrap, site, args)
            print_call_figures(settings, args)

    # Needs no stack: the real allocator and join cores on a simulated clock, once the stack is down.
    print_accuracy(days=args.accuracy_days)


if __name__ == "__main__":
    main()
