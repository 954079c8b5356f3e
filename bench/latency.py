"""Visit -> number round trip over HTTP: tracker -> visits -> allocator -> leases -> tracker."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import httpx

__all__ = ["RoundTrips", "visit_round_trips"]


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
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=tracker, timeout=30, limits=limits) as http:

        async def one(i: int) -> None:
            started = time.perf_counter()
            try:
                response = await http.post(
                    "/v1/visits",
                    json={
                        "site_key": site_key,
                        "visitor_id": f"{run}-visitor-{i}",
                        "visit_id": f"{run}-visit-{i}",
                        "url": "https://bench.example/?utm_source=google&utm_medium=cpc",
                    },
                )
            except httpx.HTTPError as error:
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
