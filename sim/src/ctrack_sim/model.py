"""The traffic model: visitors, their sessions and calls, with the ground truth of who called.

`generate(params, rng, start)` is pure: everything random comes from the numpy `Generator` passed
in, so a seed gives the same scenario. Every parameter has a default and says where it comes from
(DOMAIN.md, VENDORS.md section E, or "assumption": a number written down here, moved by the
sensitivity table in `report.sensitivity`).

A session is what a person does in one sitting: page loads (each one a `VisitStarted` with its own
visit id, as the tracker script sends), perhaps a second tab, heartbeats while a page is open, and a
leave beacon when the last tab closes. A call names the session that made it (the ground truth) and
the moment its caller looked at the number they dial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from ctrack_common.events import SessionSnapshot

__all__ = [
    "DEFAULT_HOURLY_PROFILE",
    "DEFAULT_SOURCES",
    "Activity",
    "CallPlan",
    "Scenario",
    "Session",
    "Source",
    "TrafficParams",
    "generate",
]

# Share of a day's visits per hour (UTC = site time): quiet nights, a working-day plateau with a
# late-morning and an evening peak. Assumption (typical business-site shape); peak/mean = 1.8.
DEFAULT_HOURLY_PROFILE: tuple[float, ...] = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.8,
    1.2,
    1.5,
    1.7,
    1.8,
    1.7,
    1.6,
    1.6,
    1.5,
    1.4,
    1.3,
    1.3,
    1.4,
    1.4,
    1.2,
    0.8,
    0.4,
)


@dataclass(frozen=True)
class Source:
    """Where visits come from, their share of human sessions, and the share of sessions that call."""

    source: str
    medium: str | None
    share: float
    call_rate: float


# Assumption: DOMAIN.md says 50-80 % of B2C leads are calls; paid search converts best. Overall
# about 3 % of human sessions call (weighted mean of these rates).
DEFAULT_SOURCES: tuple[Source, ...] = (
    Source("google", "cpc", 0.35, 0.045),
    Source("google", "organic", 0.30, 0.025),
    Source("(direct)", None, 0.20, 0.030),
    Source("facebook", "social", 0.10, 0.010),
    Source("newsletter", "email", 0.05, 0.030),
)


@dataclass(frozen=True)
class TrafficParams:
    """The traffic of one site. Durations in seconds.

    - `visitors_per_day` 2000: with the default profile the peak hour has ~150 arrivals, the scale of
      Nimbata's worked example (200 peak-hour users, 3 min sessions -> 10 numbers; VENDORS E).
    - `hourly_profile`: see `DEFAULT_HOURLY_PROFILE` (assumption).
    - `bounce_share` 0.4 one-page visits lasting `bounce_mean_seconds` 20 (exponential): DOMAIN.md
      "many visitors bounce at once" (the reason one vendor waits 50 s before showing a number).
    - `engaged_mean_seconds` 270 and `session_sigma` 1.0: other sessions are lognormal (heavy tail:
      a few stay for an hour). With the bounces the mean session is ~3 min (Nimbata's example).
    - `seconds_per_page` 60: mean gap between page loads of an engaged session (assumption).
    - `second_tab_share` 0.15: sessions that open a second tab (assumption; the tracker keeps one
      number across tabs and sends the leave beacon only when the last tab closes).
    - `returning_share` 0.25: sessions by a visitor seen before (assumption), who may get their
      previous number back.
    - `bot_share` 0.05 of sessions are bots (DOMAIN.md: bots drain pools, never call): one or two
      pages over `bot_mean_seconds` 10; they send the leave beacon with `bot_leave_share` 0.3.
    - `leave_beacon_share` 0.9: humans whose leave beacon arrives (assumption: `sendBeacon` on
      `pagehide` is lost when a mobile browser is killed); otherwise the lease runs to its expiry.
    - `heartbeat_seconds` 15: session-tracker's `HEARTBEAT_SECONDS`, which its answers tell the script
      (at most a third of the pool's lease).
    - `sources`: see `DEFAULT_SOURCES`.
    - Call timing, for a session that calls: `late_call_share` 0.15 call hours or days later from
      a number written down (lognormal, median `late_median_hours` 6, sigma `late_sigma` 1.5,
      at most 7 days: one vendor's quarantine is 7 days because people call that late, DOMAIN.md);
      of the rest, `during_share` 0.6 call while on the site and the others soon after leaving
      (exponential, mean `soon_mean_seconds` 120: the ~7 min hold of DOMAIN.md covers most of them).
    - `repeat_call_share` 0.15: callers who call again later (median `repeat_median_hours` 24), on
      the number they dialled the first time (it is in their phone's call log). Assumption.
    """

    visitors_per_day: float = 2000.0
    days: float = 1.0
    hourly_profile: tuple[float, ...] = DEFAULT_HOURLY_PROFILE
    bounce_share: float = 0.4
    bounce_mean_seconds: float = 20.0
    engaged_mean_seconds: float = 270.0
    session_sigma: float = 1.0
    seconds_per_page: float = 60.0
    second_tab_share: float = 0.15
    returning_share: float = 0.25
    bot_share: float = 0.05
    bot_mean_seconds: float = 10.0
    bot_leave_share: float = 0.3
    leave_beacon_share: float = 0.9
    heartbeat_seconds: float = 15.0
    sources: tuple[Source, ...] = DEFAULT_SOURCES
    late_call_share: float = 0.15
    during_share: float = 0.6
    soon_mean_seconds: float = 120.0
    late_median_hours: float = 6.0
    late_sigma: float = 1.5
    late_max_days: float = 7.0
    repeat_call_share: float = 0.15
    repeat_median_hours: float = 24.0

    @property
    def mean_session_seconds(self) -> float:
        """The mean time a human visitor stays (bounces included), what Little's law needs."""
        return (
            self.bounce_share * self.bounce_mean_seconds + (1 - self.bounce_share) * self.engaged_mean_seconds
        )

    @property
    def peak_hour_arrivals(self) -> float:
        """Expected sessions (bots included) in the busiest hour of the profile."""
        total = sum(self.hourly_profile)
        return self.visitors_per_day * max(self.hourly_profile) / total


@dataclass(frozen=True)
class Activity:
    """One thing the tracker script sends: a page load (`start`), a single-page-app page view
    (`page`), a heartbeat (`active` when the visitor interacted since the last one), or the leave
    beacon (`leave`)."""

    at: datetime
    kind: str  # "start" | "page" | "heartbeat" | "leave"
    visitor_id: str
    visit_id: str
    session: SessionSnapshot | None = None
    active: bool = False


@dataclass(frozen=True)
class CallPlan:
    """A call and its ground truth: who calls, when, and when they saw the number they dial.

    `redial_of` names an earlier call whose number is dialled again (a repeat caller); otherwise the
    caller dials the number shown to `visitor_id` at `seen_at`.
    """

    call_id: str
    at: datetime
    caller_number: str
    visitor_id: str
    session_id: str
    seen_at: datetime
    timing: str  # "during" | "soon" | "late" | "repeat"
    redial_of: str | None = None


@dataclass(frozen=True)
class Session:
    session_id: str
    visitor_id: str
    started_at: datetime
    ended_at: datetime
    visit_ids: tuple[str, ...]
    source: str
    bot: bool
    bounce: bool
    returning: bool
    tabs: int


@dataclass(frozen=True)
class Scenario:
    """Sessions, the time-ordered tracker activity, and the calls (ordered by time), with truth."""

    params: TrafficParams
    start: datetime
    sessions: tuple[Session, ...]
    activity: tuple[Activity, ...]
    calls: tuple[CallPlan, ...]
    session_of_visit: dict[str, str] = field(repr=False)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.params.days)


def _ms(seconds: float) -> timedelta:
    # Wire precision is the millisecond: simulated times are whole milliseconds, like the events.
    return timedelta(milliseconds=round(seconds * 1000))


def _arrivals(params: TrafficParams, rng: np.random.Generator) -> np.ndarray:
    """Session start offsets (seconds): a Poisson process whose rate follows the hourly profile."""
    weights = np.asarray(params.hourly_profile, dtype=float)
    per_hour = params.visitors_per_day * weights / weights.sum()
    hours = math.ceil(params.days * 24)
    starts = []
    for hour in range(hours):
        span = min(3600.0, params.days * 86400 - hour * 3600)
        count = rng.poisson(per_hour[hour % 24] * span / 3600)
        starts.append(hour * 3600 + rng.uniform(0, span, count))
    return np.sort(np.concatenate(starts)) if starts else np.empty(0)


def _lognormal_mu(mean: float, sigma: float) -> float:
    return math.log(mean) - sigma * sigma / 2


class _Builder:
    def __init__(
        self, params: TrafficParams, rng: np.random.Generator, start: datetime, stride: float
    ) -> None:
        self.p = params
        self.stride = stride
        self.rng = rng
        self.start = start
        self.sessions: list[Session] = []
        self.activity: list[Activity] = []
        self.calls: list[CallPlan] = []
        self.session_of_visit: dict[str, str] = {}
        self.visitors = 0
        self.source_cum = np.cumsum([s.share for s in params.sources])
        self.source_cum /= self.source_cum[-1]

    def new_visitor(self) -> int:
        self.visitors += 1
        return self.visitors - 1

    def session(self, index: int, offset: float) -> None:
        p, rng = self.p, self.rng
        bot = rng.random() < p.bot_share
        returning = not bot and self.visitors > 0 and rng.random() < p.returning_share
        visitor = int(rng.integers(self.visitors)) if returning else self.new_visitor()
        visitor_id = f"v{visitor}"
        session_id = f"s{index}"
        if bot:
            duration = float(rng.exponential(p.bot_mean_seconds))
            pages = [0.0] if rng.random() < 0.5 else [0.0, duration * float(rng.random())]
            beacon = rng.random() < p.bot_leave_share
            bounce, tabs = False, 1
        else:
            bounce = rng.random() < p.bounce_share
            if bounce:
                duration = float(rng.exponential(p.bounce_mean_seconds))
                pages = [0.0]
            else:
                mu = _lognormal_mu(p.engaged_mean_seconds, p.session_sigma)
                duration = float(rng.lognormal(mu, p.session_sigma))
                gaps = np.cumsum(
                    rng.exponential(p.seconds_per_page, 1 + int(duration / p.seconds_per_page * 3))
                )
                pages = [0.0, *(float(g) for g in gaps if g < duration)]
            beacon = rng.random() < p.leave_beacon_share
            tabs = 2 if not bounce and len(pages) > 1 and rng.random() < p.second_tab_share else 1
        source = p.sources[int(np.searchsorted(self.source_cum, rng.random(), side="right"))]
        if bot:
            source = Source("(direct)", None, 0.0, 0.0)
        # The second tab opens at a page load and stays open to the end: later navigations send no leave.
        second_tab_from = pages[int(rng.integers(1, len(pages)))] if tabs == 2 else math.inf
        begin = offset
        snapshot = SessionSnapshot(
            source=source.source,
            medium=source.medium,
            session_id=session_id,
            landing_page="/",
        )
        visit_ids = []
        for n, page_at in enumerate(pages):
            visit_id = f"{session_id}.{n}"
            visit_ids.append(visit_id)
            self.session_of_visit[visit_id] = session_id
            at = self.start + _ms(begin + page_at)
            page_end = pages[n + 1] if n + 1 < len(pages) else duration
            self.activity.append(Activity(at, "start", visitor_id, visit_id, snapshot))
            self._heartbeats(visitor_id, visit_id, begin + page_at, begin + page_end)
            last_page = n + 1 == len(pages)
            if last_page and beacon:
                self.activity.append(
                    Activity(self.start + _ms(begin + duration), "leave", visitor_id, visit_id)
                )
            elif not last_page and page_end < second_tab_from:
                # pagehide of a navigation in the only tab: the tracker sends the leave beacon.
                self.activity.append(
                    Activity(self.start + _ms(begin + page_end), "leave", visitor_id, visit_id)
                )
        started_at, ended_at = self.start + _ms(begin), self.start + _ms(begin + duration)
        self.sessions.append(
            Session(
                session_id,
                visitor_id,
                started_at,
                ended_at,
                tuple(visit_ids),
                source.source,
                bot,
                bounce,
                returning,
                tabs,
            )
        )
        if not bot and rng.random() < source.call_rate:
            self._calls(visitor, session_id, begin, duration)

    def _heartbeats(self, visitor_id: str, visit_id: str, opened: float, closed: float) -> None:
        period = self.p.heartbeat_seconds
        ticks = int((closed - opened) / period)
        kept = 0
        for k in range(1, ticks + 1):
            # Only the last heartbeat of a page and one per stride can change an outcome (see `generate`).
            if k == ticks or (k - kept) * period >= self.stride:
                kept = k
                self.activity.append(
                    Activity(self.start + _ms(opened + k * period), "heartbeat", visitor_id, visit_id)
                )

    def _calls(self, visitor: int, session_id: str, begin: float, duration: float) -> None:
        p, rng = self.p, self.rng
        end = begin + duration
        draw = rng.random()
        if draw < p.late_call_share:
            timing = "late"
            delay = min(
                float(rng.lognormal(math.log(p.late_median_hours * 3600), p.late_sigma)),
                p.late_max_days * 86400,
            )
            at, seen = end + delay, begin + duration * float(rng.random())
        elif draw < p.late_call_share + (1 - p.late_call_share) * p.during_share:
            timing = "during"
            at = begin + duration * float(rng.random())
            seen = at
        else:
            timing = "soon"
            at, seen = end + float(rng.exponential(p.soon_mean_seconds)), end
        caller = f"+1555{visitor:07d}"
        call_id = f"c{len(self.calls)}"
        first = CallPlan(
            call_id, self.start + _ms(at), caller, f"v{visitor}", session_id, self.start + _ms(seen), timing
        )
        self.calls.append(first)
        if rng.random() < p.repeat_call_share:
            again = at + float(rng.lognormal(math.log(p.repeat_median_hours * 3600), 1.0))
            self.calls.append(
                CallPlan(
                    f"c{len(self.calls)}",
                    self.start + _ms(again),
                    caller,
                    f"v{visitor}",
                    session_id,
                    first.seen_at,
                    "repeat",
                    redial_of=call_id,
                )
            )


def generate(
    params: TrafficParams,
    rng: np.random.Generator,
    start: datetime,
    *,
    heartbeat_stride_seconds: float = 60.0,
) -> Scenario:
    """A scenario of `params.days` days from `start` (calls may fall after the last day).

    Heartbeats carry no activity, so one only matters as the last renewal before a lease ends: the
    scenario keeps one heartbeat per `heartbeat_stride_seconds` of an open page plus each page's
    last one. While the stride is shorter than the lease (120 s by default) this gives the allocator
    and the join exactly the answers of every 15 s heartbeat, with a quarter of the commands.
    """
    builder = _Builder(params, rng, start, heartbeat_stride_seconds)
    for index, offset in enumerate(_arrivals(params, rng)):
        builder.session(index, float(offset))
    builder.activity.sort(key=lambda a: a.at)
    builder.calls.sort(key=lambda c: c.at)
    return Scenario(
        params=params,
        start=start,
        sessions=tuple(builder.sessions),
        activity=tuple(builder.activity),
        calls=tuple(builder.calls),
        session_of_visit=builder.session_of_visit,
    )
