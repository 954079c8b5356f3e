"""Calls through the pipeline: call-ended webhook -> `attributed-calls` latency, and replay throughput.

Latency: visitors get numbers from the tracker (so every call is on a leased
number), each number is rung with a signed Twilio voice webhook, then the
call-ended status callbacks are posted at a fixed rate (open loop). A call's
latency runs from just before its status callback is sent to the moment the
`CallAttributed` version carrying the ended status is consumed from
`attributed-calls`. Replay: `ctrack replay` over everything the bench recorded
(the pipeline-rate runs publish a few thousand calls), into its own topic and table.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from twilio.request_validator import RequestValidator

from attribution.config import Settings as AttributionSettings
from attribution.replay import ReplayRange, ReplaySummary, run_replay
from bench.latency import BROWSER_USER_AGENT
from bench.traffic import create_bench_site
from ctrack_common.events import CallAttributed, CallStatus, Envelope
from ctrack_common.messaging import LogFollower
from ctrack_common.topics import ATTRIBUTED_CALLS
from ctrack_stack import StackSettings

__all__ = ["CallLatencies", "add_call_arguments", "call_ended_latency", "print_call_figures"]

ACCOUNT_SID = "AC" + "0" * 32
VOICE_PATH = "/v1/telephony/twilio/voice"
ENDED = {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.FAILED, CallStatus.NO_ANSWER, CallStatus.CANCELED}
CALLS_FIRST_NUMBER = 10_000
_STATUS_CALLBACK = re.compile(r'statusCallback="([^"]+)"')


def add_call_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--calls", type=int, default=300, help="calls for the call-ended latency figure")
    parser.add_argument("--call-rate", type=float, default=20.0, help="call-ended callbacks per second")


@dataclass(frozen=True)
class CallLatencies:
    seconds: list[float]
    leased_calls: int
    offered_rate: float
    achieved_rate: float

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class _EndedVersions:
    """When the first version with an ended status of each call was consumed from `attributed-calls`."""

    def __init__(self, bootstrap: str, call_ids: set[str]) -> None:
        self._wanted = call_ids
        self._lock = threading.Lock()
        self.seen: dict[str, float] = {}
        self.all_seen = threading.Event()
        self._follower = LogFollower(bootstrap, [ATTRIBUTED_CALLS], self._apply, from_end=True)

    def _apply(self, event: Envelope) -> None:
        if not isinstance(event, CallAttributed) or event.payload.call.status not in ENDED:
            return
        call_id = event.payload.call_id
        with self._lock:
            if call_id in self._wanted and call_id not in self.seen:
                self.seen[call_id] = time.perf_counter()
                if len(self.seen) == len(self._wanted):
                    self.all_seen.set()

    def start(self) -> None:
        self._follower.start()
        if not self._follower.caught_up.wait(60):
            raise TimeoutError(f"could not position on {ATTRIBUTED_CALLS.name}")

    def stop(self) -> None:
        self._follower.stop()


class _Twilio:
    """Signed form posts to call-ingest, as Twilio sends them."""

    def __init__(self, http: httpx.AsyncClient, ingest: str, auth_token: str) -> None:
        self._http = http
        self._ingest = ingest
        self._validator = RequestValidator(auth_token)

    async def post(self, path: str, form: Mapping[str, str]) -> httpx.Response:
        url = f"{self._ingest}{path}"
        signature = self._validator.compute_signature(url, dict(form))
        return await self._http.post(url, data=dict(form), headers={"X-Twilio-Signature": signature})


async def _leased_numbers(
    http: httpx.AsyncClient, tracker: str, site_key: str, count: int, *, run: str, timeout: float = 60.0
) -> list[str]:
    """One leased number per visitor; a visitor asks again (as its script would) until it holds one."""
    answers: Counter[str] = Counter()
    gate = asyncio.Semaphore(20)
    deadline = time.perf_counter() + timeout

    async def one(i: int) -> str | None:
        body = {
            "site_key": site_key,
            "visitor_id": f"{run}-caller-{i}",
            "visit_id": f"{run}-visit-{i}",
            "url": "https://bench.example/?utm_source=google&utm_medium=cpc",
        }
        async with gate:
            while time.perf_counter() < deadline:
                response = await http.post(f"{tracker}/v1/visits", json=body)
                shown = response.json() if response.status_code in (200, 202) else {}
                answers[f"HTTP {response.status_code} {shown.get('status', '')}".strip()] += 1
                if shown.get("lease_id"):
                    return str(shown["number"])
                await asyncio.sleep(0.5)
        return None

    numbers = [n for n in await asyncio.gather(*(one(i) for i in range(count))) if n is not None]
    if not numbers:
        raise RuntimeError(f"no visitor got a leased number within {timeout:g}s: answers {dict(answers)}")
    return numbers


async def _run(settings: StackSettings, site_key: str, *, calls: int, rate: float, run: str) -> CallLatencies:
    tracker = f"http://127.0.0.1:{settings.SESSION_TRACKER_PORT}"
    ingest = f"http://127.0.0.1:{settings.CALL_INGEST_PORT}"
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    # A browser's user agent: the tracker gives bots (python-httpx among them) no pool number.
    headers = {"User-Agent": BROWSER_USER_AGENT}
    async with httpx.AsyncClient(timeout=30, limits=limits, headers=headers) as http:
        twilio = _Twilio(http, ingest, settings.TWILIO_AUTH_TOKEN)
        numbers = await _leased_numbers(http, tracker, site_key, calls, run=run)
        sids = {number: f"CA{run}{i:026d}" for i, number in enumerate(numbers)}

        async def ring(i: int, number: str) -> str:
            form = {
                "CallSid": sids[number],
                "AccountSid": ACCOUNT_SID,
                "From": f"+1415556{i:04d}",
                "To": number,
                "CallStatus": "ringing",
                "Direction": "inbound",
            }
            answer = await twilio.post(VOICE_PATH, form)
            found = _STATUS_CALLBACK.search(answer.text)
            if answer.status_code != 200 or found is None:
                raise RuntimeError(
                    f"voice webhook for {number}: HTTP {answer.status_code} {answer.text[:200]}"
                )
            return html.unescape(found.group(1)).removeprefix(ingest)

        callbacks = dict(
            zip(numbers, await asyncio.gather(*(ring(i, n) for i, n in enumerate(numbers))), strict=True)
        )
        ended = _EndedVersions(settings.kafka_bootstrap, {f"twilio:{sid}" for sid in sids.values()})
        ended.start()
        sent: dict[str, float] = {}

        async def end(number: str) -> None:
            form = {
                "CallSid": sids[number],
                "AccountSid": ACCOUNT_SID,
                "To": number,
                "CallStatus": "completed",
                "CallDuration": "42",
                "Timestamp": format_datetime(datetime.now(UTC)),
                "SequenceNumber": "1",
            }
            sent[f"twilio:{sids[number]}"] = time.perf_counter()
            response = await twilio.post(callbacks[number], form)
            response.raise_for_status()

        began = time.perf_counter()
        tasks = []
        for i, number in enumerate(numbers):
            # Open loop: callbacks leave on schedule whatever the answers' latency, as providers send them.
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(end(number)))
        await asyncio.gather(*tasks)
        achieved = len(numbers) / (time.perf_counter() - began)
        await asyncio.to_thread(ended.all_seen.wait, 60)
        ended.stop()
    missing = set(sent) - set(ended.seen)
    if missing:
        raise TimeoutError(f"{len(missing)} of {len(sent)} ended calls never reached {ATTRIBUTED_CALLS.name}")
    return CallLatencies([ended.seen[c] - sent[c] for c in sent], len(numbers), rate, achieved)


def call_ended_latency(
    settings: StackSettings, site_key: str, *, calls: int, rate: float, run: str
) -> CallLatencies:
    return asyncio.run(_run(settings, site_key, calls=calls, rate=rate, run=run))


def replay_throughput(settings: StackSettings, since: datetime) -> ReplaySummary:
    """`ctrack replay` over every call the bench recorded, into the replay id `bench`."""
    attribution = AttributionSettings(
        KAFKA_BOOTSTRAP_SERVERS=settings.kafka_bootstrap,
        CLICKHOUSE_HOST=settings.clickhouse_host,
        CLICKHOUSE_PORT=settings.clickhouse_port,
    )
    selection = ReplayRange(since, datetime.now(UTC) + timedelta(minutes=1))
    return run_replay(attribution, selection, "bench").summary


def print_call_figures(settings: StackSettings, args: argparse.Namespace) -> None:
    began = time.perf_counter()
    allocator = f"http://127.0.0.1:{settings.NUMBER_ALLOCATOR_PORT}"
    # A site of its own whose pool outlasts the run, so every call is on a number a visitor holds; its
    # numbers start far above the other bench sites' (sites share no number).
    site = create_bench_site(
        allocator,
        settings.ADMIN_API_KEY,
        pool_size=args.calls + 10,
        lease_seconds=600,
        first_number=CALLS_FIRST_NUMBER,
    )
    latencies = call_ended_latency(
        settings, site.site_key, calls=args.calls, rate=args.call_rate, run=time.strftime("%H%M%S")
    )
    print(
        f"call-ended webhook -> attributed-calls, {latencies.leased_calls} calls on leased numbers, "
        f"status callbacks offered at {args.call_rate:g}/s (achieved {latencies.achieved_rate:.1f}/s):"
    )
    print(
        f"  p50 {latencies.percentile(50) * 1000:.1f} ms   p95 {latencies.percentile(95) * 1000:.1f} ms"
        f"   p99 {latencies.percentile(99) * 1000:.1f} ms   max {max(latencies.seconds) * 1000:.1f} ms\n"
    )
    # The bench's stack is a throw-away one: everything in its log is from this run.
    summary = replay_throughput(settings, datetime.now(UTC) - timedelta(days=1))
    phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in summary.seconds.items())
    join_rate = summary.calls / summary.seconds["join"] if summary.seconds.get("join") else 0.0
    print(
        f"replay (ctrack replay) of {summary.calls} recorded calls ({summary.versions} versions), "
        f"same final answer as live for {summary.same_as_live}, different {len(summary.differences)}:"
    )
    print(
        f"  {summary.calls_per_second:.0f} calls/s end to end ({phases}); join alone {join_rate:.0f} calls/s"
    )
    print(f"  (call figures took {time.perf_counter() - began:.0f} s in all)\n")
