"""Live mode: a scenario replayed against the running stack over its public interfaces, scored like fast mode.

`scale` puts a scenario on a clock `factor` times faster (60: a scenario minute is a wall second) and
`scaled_pool` divides the pool's timers by the same factor. `create_site` makes a tenant, a site and its
pool over the admin API with those timers. `replay` sends the visitors' page loads, heartbeats and leave
beacons to the session-tracker's HTTP endpoints (a browser's user agent; each visitor from its own
loopback address when the stack is local, as real visitors have their own), places each call as Twilio's
signed voice webhook to call-ingest on the number the tracker showed that caller, and reads the latest
version of each call on `attributed-calls`. It records the moment each request left (`LiveRun.sent`):
fast mode run on that timeline sees what the stack saw, so the two answers can differ only where the
stack's own latency moved a moment across a timer or another visitor's request (`compare`).
"""

from __future__ import annotations

import ipaddress
import random
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import httpx
from rich.table import Table
from twilio.request_validator import RequestValidator

from ctrack_common.events import (
    CallAttributed,
    Envelope,
    LeaseExpired,
    LeaseReleased,
    LeaseRevoked,
)
from ctrack_common.messaging import LogFollower
from ctrack_common.topics import ATTRIBUTED_CALLS
from ctrack_sim.allocator_port import Answer, shown_number
from ctrack_sim.engine import EngineResult, PoolSetup, run
from ctrack_sim.join_port import CallAnswer
from ctrack_sim.metrics import Accuracy, engine_calls, score
from ctrack_sim.model import Activity, CallPlan, Scenario

__all__ = [
    "Agreement",
    "CallComparison",
    "Divergence",
    "LiveReport",
    "LiveRun",
    "LiveSite",
    "LiveTarget",
    "compare",
    "create_site",
    "fast_mode",
    "live_report",
    "replay",
    "scale",
    "scaled_pool",
    "without_overlapping_leaves",
]

# The tracker answers bots, headless browsers and HTTP libraries with the default number.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
SITE_DOMAIN = "shop.example"
WEEK_SECONDS = 7 * 24 * 3600  # the admin API's longest idle reclaim: "never" within a live run
SPECIAL_ROLES = {
    "default_number": "default",
    "overflow_number": "overflow",
    "default_before_display_number": "default-before-display",
    "default_after_reclaim_number": "default-after-reclaim",
}


@dataclass(frozen=True)
class LiveTarget:
    """Where the running stack answers, and the secrets its admin API and Twilio webhooks check."""

    tracker_url: str
    allocator_url: str
    ingest_url: str
    kafka_bootstrap: str
    admin_api_key: str
    twilio_auth_token: str

    def own_addresses(self) -> bool:
        """Whether each visitor can send from its own loopback address: the tracker is local and this
        host routes all of 127.0.0.0/8 to loopback (Linux does; macOS only 127.0.0.1)."""
        host = urlsplit(self.tracker_url).hostname or ""
        try:
            if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
                return False
        except ValueError:
            return False
        with socket.socket() as probe:
            try:
                probe.bind(("127.1.0.1", 0))
            except OSError:
                return False
        return True


def _at(scenario: Scenario, moment: datetime, factor: float, start: datetime) -> datetime:
    offset = (moment - scenario.start) / factor
    return start + timedelta(milliseconds=round(offset.total_seconds() * 1000))


def scale(scenario: Scenario, factor: float, start: datetime, *, horizon: timedelta) -> Scenario:
    """`scenario` on a clock `factor` times faster, beginning at `start`.

    Calls later than `horizon` (scenario time) after the scenario's end are left out: a call made days
    after the visit would keep a live run waiting for days / factor.
    """
    last = scenario.end + horizon
    calls = tuple(
        replace(c, at=_at(scenario, c.at, factor, start), seen_at=_at(scenario, c.seen_at, factor, start))
        for c in scenario.calls
        if c.at <= last
    )
    return replace(
        scenario,
        params=replace(scenario.params, days=scenario.params.days / factor),
        start=start,
        sessions=tuple(
            replace(
                s,
                started_at=_at(scenario, s.started_at, factor, start),
                ended_at=_at(scenario, s.ended_at, factor, start),
            )
            for s in scenario.sessions
        ),
        activity=tuple(replace(a, at=_at(scenario, a.at, factor, start)) for a in scenario.activity),
        calls=calls,
    )


def without_overlapping_leaves(scenario: Scenario) -> Scenario:
    """`scenario` without the leave beacons the tracker script would not send: it sends one only when
    the visitor's last tab closes, while the model lets a returning visitor's new session overlap their
    earlier one, each ending with a beacon. The stack then tells the tab still open to show the
    default number (the lease was released), which fast mode, not changing the screen on a release,
    does not; so both modes get the script's beacons."""
    opened: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    for a in scenario.activity:
        opened.setdefault(a.visit_id, a.at)
        last[a.visit_id] = a.at
    visits: dict[str, list[str]] = {}
    for a in scenario.activity:
        if a.kind == "start":
            visits.setdefault(a.visitor_id, []).append(a.visit_id)

    def other_tab_open(leave: Activity) -> bool:
        return any(
            v != leave.visit_id and opened[v] < leave.at < last[v] for v in visits.get(leave.visitor_id, ())
        )

    return replace(
        scenario, activity=tuple(a for a in scenario.activity if a.kind != "leave" or not other_tab_open(a))
    )


def scaled_pool(pool: PoolSetup, factor: float) -> PoolSetup:
    """`pool` with its timers divided by `factor` (whole seconds, as the admin API takes them)."""
    reclaim = pool.idle_reclaim_seconds
    return replace(
        pool,
        lease_seconds=max(1, round(pool.lease_seconds / factor)),
        hold_seconds=round(pool.hold_seconds / factor),
        display_delay_seconds=round(pool.display_delay_seconds / factor),
        idle_reclaim_seconds=None if reclaim is None else max(1, round(reclaim / factor)),
    )


def _fresh_numbers(count: int) -> list[str]:
    """Valid US numbers no other tenant is likely to hold: a real area code, a random exchange and line
    (not from the scenario's seed: a rerun on the same stack must not take the last run's numbers)."""
    rng = random.SystemRandom()
    area = rng.choice(["202", "212", "305", "312", "415", "617", "646", "702", "718", "917"])
    exchange = rng.randrange(200, 999)
    if exchange % 100 == 11:
        exchange += 1
    line = rng.randrange(0, 10000 - count)
    return [f"+1{area}{exchange}{line + i:04d}" for i in range(count)]


@dataclass(frozen=True)
class LiveSite:
    """A tenant's site created for a run; `pool` is its pool as configured, real numbers included."""

    tenant_id: str
    site_id: str
    site_key: str
    business_number: str
    pool: PoolSetup


def _created(response: httpx.Response, what: str) -> dict[str, str]:
    if response.status_code not in (200, 201):
        raise RuntimeError(f"creating the {what} failed: {response.status_code} {response.text}")
    body: dict[str, str] = response.json()
    return body


def create_site(target: LiveTarget, template: PoolSetup) -> LiveSite:
    """A new tenant and site whose pool has as many fresh numbers as `template`, the special numbers it
    has, and its timers (lease, hold, display delay, idle reclaim), all through the admin API."""
    specials = [name for name in SPECIAL_ROLES if getattr(template, name) is not None]
    business, *numbers = _fresh_numbers(1 + len(template.numbers) + len(specials))
    pool_numbers, special_numbers = numbers[: len(template.numbers)], numbers[len(template.numbers) :]
    with httpx.Client(timeout=30) as http:
        admin = {"Authorization": f"Bearer {target.admin_api_key}"}
        tenant = _created(
            http.post(
                f"{target.allocator_url}/v1/tenants",
                json={"name": f"sim-live-{uuid.uuid4().hex[:8]}"},
                headers=admin,
            ),
            "tenant",
        )
        auth = {"Authorization": f"Bearer {tenant['api_key']}"}
        site = _created(
            http.post(
                f"{target.allocator_url}/v1/sites",
                json={"name": "Simulated shop", "business_number": business, "domains": [SITE_DOMAIN]},
                headers=auth,
            ),
            "site",
        )
        roles = [(n, "pool") for n in pool_numbers] + [
            (n, SPECIAL_ROLES[name]) for n, name in zip(special_numbers, specials, strict=True)
        ]
        for number, role in roles:
            _created(
                http.post(
                    f"{target.allocator_url}/v1/numbers",
                    json={"number": number, "provider": "twilio", "role": role, "site_id": site["site_id"]},
                    headers=auth,
                ),
                f"{role} number {number}",
            )
        _created(
            http.patch(
                f"{target.allocator_url}/v1/sites/{site['site_id']}/pool",
                json={
                    "lease_seconds": template.lease_seconds,
                    "hold_seconds": template.hold_seconds,
                    "display_delay_seconds": template.display_delay_seconds,
                    "idle_reclaim_seconds": template.idle_reclaim_seconds or WEEK_SECONDS,
                },
                headers=auth,
            ),
            "pool timers",
        )
    pool = replace(
        template,
        numbers=tuple(sorted(pool_numbers)),  # the allocator's order (ConfigView.pool_numbers)
        quarantined_until={},
        **{name: n for name, n in zip(specials, special_numbers, strict=True)},  # type: ignore[arg-type]
    )
    return LiveSite(tenant["tenant_id"], site["site_id"], site["site_key"], business, pool)


@dataclass
class LiveRun:
    """What the stack answered (`result`, scored with `metrics.score` against `sent`) and how.

    `sent` is the scenario as it went out: every request at the moment it left, each call's `seen_at`
    the moment of the request whose answer showed the number it dials. `latencies` are the seconds from
    a page load leaving to the allocator granting (the grant's expiry minus the lease), `pending` the
    page loads the tracker answered before the allocator did.
    """

    result: EngineResult
    sent: Scenario
    latencies: list[float] = field(default_factory=list)
    pending: int = 0
    failures: list[str] = field(default_factory=list)
    missing_answers: list[str] = field(default_factory=list)
    answered: list[tuple[datetime, str, str | None]] = field(default_factory=list)  # (sent, visitor, number)


class _Answers:
    """The latest version of each call of one tenant on `attributed-calls`, by provider call id."""

    def __init__(self, tenant_id: str) -> None:
        self._tenant_id = tenant_id
        self.latest: dict[str, CallAttributed] = {}
        self.changed = threading.Condition()
        self.last_change = datetime.now(UTC)

    def apply(self, event: Envelope) -> None:
        if not isinstance(event, CallAttributed) or event.tenant_id != self._tenant_id:
            return
        key = event.payload.call.provider_call_id
        with self.changed:
            current = self.latest.get(key)
            if current is None or current.payload.version < event.payload.version:
                self.latest[key] = event
                self.last_change = datetime.now(UTC)
            self.changed.notify_all()


def _wait_until(when: datetime, stop: threading.Event) -> None:
    # Pacing a replay to its wall clock: waiting for the moment is the point, not a synchronisation.
    delay = (when - datetime.now(UTC)).total_seconds()
    if delay > 0:
        stop.wait(delay)


@dataclass
class _Visitor:
    """One visitor's lane: its client (own address), and the answers it was shown, in the order sent."""

    http: httpx.Client
    # (scheduled, sent, number shown)
    shown: list[tuple[datetime, datetime, str | None]] = field(default_factory=list)
    last: Future[None] | None = None


class _Replay:
    def __init__(self, target: LiveTarget, site: LiveSite, scenario: Scenario, run_id: str) -> None:
        self.target, self.site, self.scenario, self.run_id = target, site, scenario, run_id
        self.twilio = RequestValidator(target.twilio_auth_token)
        self.visitors: dict[str, _Visitor] = {}
        self.sent_activity: list[Activity] = []
        self.sent_calls: dict[str, CallPlan] = {}
        self.answered: list[tuple[datetime, str, str | None]] = []
        self.dialled: dict[str, str | None] = {}
        self.call_sids: dict[str, str] = {}
        self.latencies: list[float] = []
        self.pending = 0
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.own_addresses = target.own_addresses()

    def visitor(self, visitor_id: str) -> _Visitor:
        lane = self.visitors.get(visitor_id)
        if lane is None:
            transport = None
            if self.own_addresses:
                n = len(self.visitors)
                # Each visitor its own address and /24, as on the internet (the tracker caps per address).
                transport = httpx.HTTPTransport(local_address=f"127.{1 + n // 250}.{n % 250}.1")
            headers = {"User-Agent": BROWSER_USER_AGENT, "Origin": f"https://{SITE_DOMAIN}"}
            lane = _Visitor(httpx.Client(transport=transport, headers=headers, timeout=30))
            self.visitors[visitor_id] = lane
        return lane

    def ids(self, activity: Activity) -> dict[str, str]:
        return {
            "site_key": self.site.site_key,
            "visitor_id": f"{self.run_id}-{activity.visitor_id}",
            "visit_id": f"{self.run_id}-{activity.visit_id}",
        }

    def send(self, lane: _Visitor, activity: Activity) -> None:
        url = self.target.tracker_url
        body: dict[str, object] = {**self.ids(activity)}
        if activity.kind in ("start", "page"):
            snapshot = activity.session
            query = {}
            if snapshot is not None and snapshot.source and snapshot.source != "(direct)":
                query = {"utm_source": snapshot.source, "utm_medium": snapshot.medium or ""}
            body |= {"url": f"https://{SITE_DOMAIN}/?{urlencode(query)}", "user_agent": BROWSER_USER_AGENT}
            if snapshot is not None and snapshot.session_id:
                body["session_id"] = f"{self.run_id}-{snapshot.session_id}"
            path = "/v1/visits" if activity.kind == "start" else "/v1/pageview"
        elif activity.kind == "heartbeat":
            body["active"] = activity.active
            path = "/v1/heartbeat"
        else:
            path = "/v1/leave"
        sent = datetime.now(UTC)
        response = lane.http.post(f"{url}{path}", json=body)
        if response.status_code not in (200, 202):
            self.failures.append(f"{path} {activity.visit_id}: {response.status_code} {response.text[:200]}")
            return  # refused: the allocator never saw it, so fast mode must not either
        with self.lock:
            self.sent_activity.append(replace(activity, at=sent))
        if path == "/v1/leave":
            return
        answer = response.json()
        lane.shown.append((activity.at, sent, answer.get("number")))
        with self.lock:
            self.answered.append((sent, activity.visitor_id, answer.get("number")))
        if answer.get("status") == "pending":
            self.pending += 1
        elif path == "/v1/visits" and answer.get("status") == "granted" and answer.get("expires_at"):
            granted = datetime.fromisoformat(answer["expires_at"]) - timedelta(
                seconds=self.site.pool.lease_seconds
            )
            self.latencies.append((granted - sent).total_seconds())

    def call(self, lane: _Visitor, plan: CallPlan) -> None:
        seen_sent = plan.seen_at
        if plan.redial_of is not None:
            number = self.dialled.get(plan.redial_of)
            seen_sent = (
                self.sent_calls[plan.redial_of].seen_at if plan.redial_of in self.sent_calls else seen_sent
            )
        else:
            shown = [s for s in lane.shown if s[0] <= plan.seen_at]
            number = shown[-1][2] if shown else None
            if shown:
                seen_sent = shown[-1][1]
        self.dialled[plan.call_id] = number
        sent = datetime.now(UTC)
        self.sent_calls[plan.call_id] = replace(plan, at=sent, seen_at=seen_sent)
        if number is None:
            return  # nothing was shown: the caller dials the site's own number, which never reaches us
        call_sid = "CA" + uuid.uuid5(uuid.NAMESPACE_URL, f"{self.run_id}/{plan.call_id}").hex
        self.call_sids[call_sid] = plan.call_id
        url = f"{self.target.ingest_url}/v1/telephony/twilio/voice"
        form = {
            "AccountSid": "AC" + "0" * 32,
            "ApiVersion": "2010-04-01",
            "CallSid": call_sid,
            "From": plan.caller_number,
            "To": number,
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        signature = self.twilio.compute_signature(url, form)
        response = lane.http.post(url, data=form, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            self.failures.append(f"call {plan.call_id}: {response.status_code} {response.text[:200]}")

    def run(self, stop: threading.Event) -> None:
        Item = Activity | CallPlan
        items: list[tuple[datetime, int, int, Item]] = [
            (a.at, 0, n, a) for n, a in enumerate(self.scenario.activity)
        ] + [(c.at, 1, n, c) for n, c in enumerate(self.scenario.calls)]
        items.sort(key=lambda k: k[:3])
        with ThreadPoolExecutor(max_workers=64, thread_name_prefix="sim-live") as pool:
            for at, _, _, item in items:
                _wait_until(at, stop)
                if stop.is_set():
                    break
                lane = self.visitor(item.visitor_id)
                # A visitor's requests go in order (a leave before the next page's load), others in parallel.
                lane.last = pool.submit(self._after, lane, lane.last, item)
        for lane in self.visitors.values():
            lane.http.close()
            if lane.last is not None:
                lane.last.result()  # a bug in the replay fails the run instead of vanishing in a future

    def _after(self, lane: _Visitor, previous: Future[None] | None, item: Activity | CallPlan) -> None:
        if previous is not None:
            previous.result()
        try:
            if isinstance(item, Activity):
                self.send(lane, item)
            else:
                self.call(lane, item)
        except (httpx.HTTPError, ValueError) as exc:  # reported with the run; the next request still goes
            self.failures.append(f"{type(item).__name__} of {item.visitor_id}: {exc!r}")


def replay(
    target: LiveTarget,
    site: LiveSite,
    scenario: Scenario,
    *,
    settle: timedelta,
    deadline: timedelta = timedelta(seconds=60),
    progress: Callable[[str], None] = lambda _: None,
) -> LiveRun:
    """Replay `scenario` (already on the wall clock: see `scale`) against the stack and collect the answers.

    After the last request it waits until every call placed has an answer that has not changed for
    `settle` (a call that matched no lease is first answered after the join's grace), or `deadline`.
    """
    answers = _Answers(site.tenant_id)
    follower = LogFollower(target.kafka_bootstrap, [ATTRIBUTED_CALLS], answers.apply, from_end=True)
    follower.start()
    stop = threading.Event()
    try:
        if not follower.caught_up.wait(30):
            raise RuntimeError(f"attributed-calls not reachable at {target.kafka_bootstrap}")
        replayed = _Replay(target, site, scenario, uuid.uuid4().hex[:8])
        progress(f"replaying {len(scenario.activity)} requests and {len(scenario.calls)} calls")
        replayed.run(stop)
        placed = set(replayed.call_sids)
        progress(f"waiting for the answers to {len(placed)} calls")
        until = datetime.now(UTC) + deadline
        with answers.changed:
            while datetime.now(UTC) < until:
                quiet = datetime.now(UTC) - answers.last_change >= settle
                if placed <= set(answers.latest) and quiet:
                    break
                answers.changed.wait(0.2)
            latest = dict(answers.latest)
    finally:
        stop.set()
        follower.stop()
    result = EngineResult(answers={}, dialled=replayed.dialled)
    for call_sid, call_id in replayed.call_sids.items():
        event = latest.get(call_sid)
        if event is None:
            continue
        p = event.payload
        prefix = f"{replayed.run_id}-"
        result.answers[call_id] = CallAnswer(
            classification=str(p.classification),
            visitor_id=p.visitor_id.removeprefix(prefix) if p.visitor_id else None,
            visit_id=p.visit_id.removeprefix(prefix) if p.visit_id else None,
            confidence=p.confidence,
            reason=p.unattributed_reason,
        )
    sent = replace(
        scenario,
        activity=tuple(sorted(replayed.sent_activity, key=lambda a: a.at)),
        calls=tuple(sorted(replayed.sent_calls.values(), key=lambda c: c.at)),
    )
    return LiveRun(
        result=result,
        sent=sent,
        latencies=sorted(replayed.latencies),
        pending=replayed.pending,
        failures=replayed.failures,
        missing_answers=sorted(replayed.call_sids[s] for s in placed - set(latest)),
        answered=sorted(replayed.answered, key=lambda a: a[0]),
    )


def fast_mode(sent: Scenario, pool: PoolSetup, grace: timedelta) -> EngineResult:
    """Fast mode on the timeline the stack saw (`LiveRun.sent`), with the stack's pool and join grace."""
    return run(sent.activity, engine_calls(sent), pool, grace=grace, keep_events=True)


@dataclass(frozen=True)
class CallComparison:
    """One call in both modes; `nearest` is how far (seconds) the closest moment that could tip it lay
    from the call or from when its caller saw the number (a lease event of a number either mode dialled,
    or of the caller; a hold's end), None when there is none."""

    call_id: str
    fast: CallAnswer | None
    live: CallAnswer | None
    fast_number: str | None
    live_number: str | None
    nearest: float | None

    @property
    def agrees(self) -> bool:
        def key(answer: CallAnswer | None) -> tuple[str | None, str | None]:
            return (answer.classification, answer.visit_id) if answer else (None, None)

        return key(self.fast) == key(self.live)


@dataclass(frozen=True)
class Divergence:
    """The first request the two modes answered with different numbers. When another request left
    within the tolerance of it (`race`, seconds), the stack's order of the two decided it, and the
    pool's state differs from then on: later calls may differ with no boundary near them."""

    at: datetime
    visitor_id: str
    fast_number: str | None
    live_number: str | None
    race: float | None


@dataclass(frozen=True)
class Agreement:
    calls: tuple[CallComparison, ...]
    tolerance: timedelta
    divergence: Divergence | None = None
    call_times: dict[str, datetime] = field(default_factory=dict)

    @property
    def agreed(self) -> list[CallComparison]:
        return [c for c in self.calls if c.agrees]

    @property
    def explained(self) -> list[CallComparison]:
        """Calls answered differently with a boundary within the tolerance: latency decided them."""
        limit = self.tolerance.total_seconds()
        split = self.divergence
        raced_before = (
            split.at if split is not None and split.race is not None and split.race <= limit else None
        )
        return [
            c
            for c in self.calls
            if not c.agrees
            and (
                (c.nearest is not None and c.nearest <= limit)
                or (raced_before is not None and self.call_times[c.call_id] >= raced_before)
            )
        ]

    @property
    def unexplained(self) -> list[CallComparison]:
        return [c for c in self.calls if not c.agrees and c not in self.explained]


def _boundaries(events: Sequence[Answer], numbers: set[str], visitor_id: str) -> list[datetime]:
    moments = []
    for event in events:
        payload = event.payload
        if getattr(payload, "number", None) in numbers or getattr(payload, "visitor_id", None) == visitor_id:
            moments.append(event.occurred_at)
            hold_until = getattr(payload, "hold_until", None)
            if isinstance(event, LeaseExpired | LeaseReleased | LeaseRevoked) and hold_until is not None:
                moments.append(hold_until)
    return moments


def _divergence(
    sent: Scenario, fast: EngineResult, answered: Sequence[tuple[datetime, str, str | None]]
) -> Divergence | None:
    screens: dict[str, list[tuple[datetime, str | None]]] = {}
    for event in fast.lease_events:
        shown = shown_number(event)
        if shown is not None:
            screens.setdefault(shown[0], []).append((event.occurred_at, shown[1]))
    for at, visitor_id, live_number in answered:
        seen = [number for moment, number in screens.get(visitor_id, []) if moment <= at]
        fast_number = seen[-1] if seen else None
        if fast_number != live_number:
            gaps = [abs((a.at - at).total_seconds()) for a in sent.activity if a.visitor_id != visitor_id]
            return Divergence(at, visitor_id, fast_number, live_number, min(gaps, default=None))
    return None


def compare(
    sent: Scenario,
    fast: EngineResult,
    live: EngineResult,
    tolerance: timedelta,
    answered: Sequence[tuple[datetime, str, str | None]] = (),
) -> Agreement:
    """Each call's fast and live answers side by side (fast run on `sent` with `keep_events=True`);
    `answered`: the number the stack answered each request with (`LiveRun.answered`)."""
    rows = []
    for call in sent.calls:
        numbers = {n for n in (fast.dialled.get(call.call_id), live.dialled.get(call.call_id)) if n}
        moments = _boundaries(fast.lease_events, numbers, call.visitor_id)
        distances = [
            min(abs((m - call.at).total_seconds()), abs((m - call.seen_at).total_seconds())) for m in moments
        ]
        rows.append(
            CallComparison(
                call_id=call.call_id,
                fast=fast.answers.get(call.call_id) if fast.dialled.get(call.call_id) else None,
                live=live.answers.get(call.call_id) if live.dialled.get(call.call_id) else None,
                fast_number=fast.dialled.get(call.call_id),
                live_number=live.dialled.get(call.call_id),
                nearest=min(distances) if distances else None,
            )
        )
    return Agreement(
        tuple(rows), tolerance, _divergence(sent, fast, answered), {c.call_id: c.at for c in sent.calls}
    )


@dataclass(frozen=True)
class LiveReport:
    """One live run beside fast mode on the same timeline, both scored against the ground truth."""

    site: LiveSite
    run: LiveRun
    fast: EngineResult
    agreement: Agreement
    fast_accuracy: Accuracy
    live_accuracy: Accuracy

    def tables(self) -> list[Table]:
        scores = Table(title="live vs fast mode, same timeline, scored against the ground truth")
        for column in ("mode", "calls", "correct", "misattributed", "unattributed by reason"):
            scores.add_column(
                column, justify="left" if column in ("mode", "unattributed by reason") else "right"
            )
        for mode, a in (("fast", self.fast_accuracy), ("live", self.live_accuracy)):
            reasons = ", ".join(f"{r} {n}" for r, n in sorted(a.unattributed.items()))
            scores.add_row(mode, str(a.calls), str(a.correct), str(a.wrong), reasons)
        differing = Table(
            title=f"calls answered differently (tolerance {self.agreement.tolerance.total_seconds():g} s)"
        )
        for column in ("call", "fast", "live", "fast number", "live number", "nearest boundary s"):
            differing.add_column(column)
        for c in self.agreement.calls:
            if not c.agrees:
                differing.add_row(
                    c.call_id,
                    _described(c.fast),
                    _described(c.live),
                    c.fast_number or "-",
                    c.live_number or "-",
                    "-" if c.nearest is None else f"{c.nearest:.3f}",
                )
        return [scores, differing]

    def summary(self) -> str:
        latencies = self.run.latencies
        median = latencies[len(latencies) // 2] if latencies else 0.0
        a = self.agreement
        numbers = sum(c.fast_number != c.live_number for c in a.calls)
        return (
            f"{len(a.calls)} calls: {len(a.agreed)} answered alike, {len(a.explained)} differently within "
            f"the tolerance, {len(a.unexplained)} differently beyond it, {numbers} dialled another number; "
            "grant latency median "
            f"{1000 * median:.0f} ms, max {1000 * max(latencies, default=0.0):.0f} ms; "
            f"{self.run.pending} answers pending, {len(self.run.failures)} failed requests, "
            f"{len(self.run.missing_answers)} calls without an answer{self._divergence()}"
        )

    def _divergence(self) -> str:
        d = self.agreement.divergence
        if d is None:
            return "; every request answered alike"
        race = "none" if d.race is None else f"{1000 * d.race:.0f} ms"
        return (
            f"; first request answered differently at +{(d.at - self.run.sent.start).total_seconds():.3f} s "
            f"({d.visitor_id}: fast {d.fast_number}, live {d.live_number}; nearest other request {race})"
        )


def _described(answer: CallAnswer | None) -> str:
    if answer is None:
        return "-"
    return f"{answer.classification} {answer.visit_id or answer.reason or ''}".strip()


def live_report(
    target: LiveTarget,
    original: Scenario,
    template: PoolSetup,
    *,
    factor: float,
    grace: timedelta,
    horizon: timedelta = timedelta(minutes=5),
    tolerance: timedelta = timedelta(seconds=1),
    progress: Callable[[str], None] = lambda _: None,
) -> LiveReport:
    """`original` run `factor` times faster on the stack at `target`, on a new site whose pool is `template`
    with its timers scaled; fast mode on what was sent; both scored (`grace`: the stack's JOIN_GRACE_SECONDS)."""
    site = create_site(target, scaled_pool(template, factor))
    progress(f"site {site.site_id} of tenant {site.tenant_id}, pool of {len(site.pool.numbers)}")
    scenario = without_overlapping_leaves(
        scale(original, factor, datetime.now(UTC) + timedelta(seconds=2), horizon=horizon)
    )
    live = replay(
        target,
        site,
        scenario,
        settle=timedelta(seconds=3),
        deadline=grace + timedelta(seconds=30),
        progress=progress,
    )
    fast = fast_mode(live.sent, site.pool, grace)
    return LiveReport(
        site=site,
        run=live,
        fast=fast,
        agreement=compare(live.sent, fast, live.result, tolerance, live.answered),
        fast_accuracy=score(live.sent, fast),
        live_accuracy=score(live.sent, live.result),
    )
