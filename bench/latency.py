"""Visit -> number round trip over HTTP: tracker -> visits -> allocator -> leases -> tracker."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import httpx

__all__ = ["BROWSER_USER_AGENT", "RoundTrips", "visit_round_trips"]

IN_FLIGHT = 32  # concurrent requests: 200/s at up to 160 ms each before requests queue here

# The tracker gives bots (python-httpx among them) the default number without asking the allocator:
# the load must look like people's browsers to measure the round trip through it.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"
)


@dataclass(frozen=True)
class RoundTrips:
    seconds: list[float]
    outcomes: Counter[str]
    offered_rate: float
    achieved_rate: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def _run(tracker: str, site_key: str, visits: int, rate: float, run: str) -> RoundTrips:
    seconds: list[float] = []
    outcomes: Counter[str] = Counter()
    # httpcore's pool does work quadratic in its connections and queued requests on every request: with
    # 200 connections and a backlog the load generator, not the service, set the figures. A few
    # connections, and requests queued here instead (the wait counts), keep it off them.
    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    headers = {"User-Agent": BROWSER_USER_AGENT}
    async with httpx.AsyncClient(base_url=tracker, timeout=30, limits=limits, headers=headers) as http:

        async def one(i: int) -> None:
            started = time.perf_counter()  # before the queue: waiting for a connection counts
            try:
                async with asyncio.timeout(30), in_flight:  # a visitor does not wait longer either
                    response = await http.post(
                        "/v1/visits",
                        json={
                            "site_key": site_key,
                            "visitor_id": f"{run}-visitor-{i}",
                            "visit_id": f"{run}-visit-{i}",
                            "url": "https://bench.example/?utm_source=google&utm_medium=cpc",
                        },
                    )
            except (httpx.HTTPError, TimeoutError) as error:
                outcomes[type(error).__name__] += 1
                return
            elapsed = time.perf_counter() - started
            if response.status_code not in (200, 202):
                outcomes[f"HTTP {response.status_code}"] += 1
                return
            seconds.append(elapsed)
            outcomes[response.json()["status"]] += 1

        began = time.perf_counter()
        tasks = []
        for i in range(visits):
            # Open loop: requests leave on schedule whatever the answers' latency, as real visitors do.
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
    return RoundTrips(seconds, outcomes, rate, visits / elapsed)


def visit_round_trips(tracker: str, site_key: str, visits: int, rate: float, run: str) -> RoundTrips:
    return asyncio.run(_run(tracker, site_key, visits, rate, run))
