"""What-if: re-run the recorded visits through the pool policy with other settings (`ctrack replay --what-if`).

`what_if(events, overrides)` takes the recorded log in order (config events, then visits, leases and
calls) and runs the visits and calls of each pool through `engine.run` twice: with the recorded
settings and with the overrides. Real traffic has no ground truth, so the figures are ESTIMATES:

- who made a call is taken from the run with the recorded settings (the session it matched); with
  the other settings that caller dials what they would have been shown at the moment of the call;
- a call that matched no session keeps the number it was recorded on;
- numbers added by a larger `pool_size` are taken to have been in the pool all along (no quarantine).

Static-rule visits and the recorded lease events are not used: the allocator's answers are recomputed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from rich.table import Table

from ctrack_common.events import (
    CallStarted,
    CallStatusChanged,
    Envelope,
    NumberConfigured,
    NumberRole,
    PoolConfigured,
    VisitHeartbeat,
    VisitLeft,
    VisitPageViewed,
    VisitStarted,
)
from ctrack_sim.engine import EngineCall, EngineResult, PoolSetup, run
from ctrack_sim.model import Activity

__all__ = ["Overrides", "PoolDefaults", "WhatIfOutcome", "WhatIfReport", "what_if"]

ONE_SESSION = "matched one session"
SHARED = "shared number (several possible sessions)"
DEFAULT = "default number"
OVERFLOW = "overflow number"
UNATTRIBUTED = "unattributed"
OUTCOMES = (ONE_SESSION, SHARED, DEFAULT, OVERFLOW, UNATTRIBUTED)
DEFAULT_ROLES = (NumberRole.DEFAULT, NumberRole.DEFAULT_BEFORE_DISPLAY, NumberRole.DEFAULT_AFTER_RECLAIM)


@dataclass(frozen=True)
class PoolDefaults:
    """The allocator's defaults for settings a pool leaves unset (number-allocator `Settings`)."""

    hold_seconds: int = 420
    quarantine_seconds: int = 7 * 24 * 3600
    display_delay_seconds: int = 0
    idle_reclaim_seconds: int = 3600


@dataclass(frozen=True)
class Overrides:
    """Pool settings to try instead of the recorded ones (None: keep the recorded setting)."""

    hold_seconds: int | None = None
    quarantine_seconds: int | None = None
    display_delay_seconds: int | None = None
    idle_reclaim_seconds: int | None = None
    pool_size: int | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> Overrides:
        """From `ctrack replay --what-if` names: hold, quarantine, delay, reclaim (seconds), pool-size."""
        names = {
            "hold": "hold_seconds",
            "quarantine": "quarantine_seconds",
            "delay": "display_delay_seconds",
            "reclaim": "idle_reclaim_seconds",
            "pool-size": "pool_size",
        }
        unknown = set(values) - set(names)
        if unknown:
            raise ValueError(f"unknown what-if settings: {', '.join(sorted(unknown))}")
        return cls(**{names[k]: int(v) for k, v in values.items()})

    def describe(self) -> str:
        parts = [
            f"{name}={value}"
            for name, value in (
                ("hold", self.hold_seconds),
                ("quarantine", self.quarantine_seconds),
                ("delay", self.display_delay_seconds),
                ("reclaim", self.idle_reclaim_seconds),
                ("pool-size", self.pool_size),
            )
            if value is not None
        ]
        return ", ".join(parts) or "no change"


@dataclass(frozen=True)
class WhatIfOutcome:
    """Estimated outcome of the calls under one set of settings."""

    calls: Counter[str] = field(default_factory=Counter)
    exhausted_minutes: float = 0.0
    denied_visits: int = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def __add__(self, other: WhatIfOutcome) -> WhatIfOutcome:
        return WhatIfOutcome(
            self.calls + other.calls,
            self.exhausted_minutes + other.exhausted_minutes,
            self.denied_visits + other.denied_visits,
        )


@dataclass(frozen=True)
class WhatIfReport:
    """The recorded settings against the alternative: estimates, not measurements."""

    overrides: Overrides
    recorded: WhatIfOutcome
    alternative: WhatIfOutcome
    pools: int

    def table(self) -> Table:
        table = Table(
            title=f"what-if ({self.overrides.describe()}): ESTIMATES from recorded traffic, no ground truth",
            caption="who made each call is taken from the recorded settings' match; see docs/accuracy.md",
        )
        for column in ("calls", "recorded settings", "what-if settings", "change"):
            table.add_column(column, justify="left" if column == "calls" else "right")
        rows = [(name, self.recorded.calls[name], self.alternative.calls[name]) for name in OUTCOMES]
        rows.append(("all calls", self.recorded.total, self.alternative.total))
        for name, before, after in rows:
            table.add_row(name, str(before), str(after), f"{after - before:+d}")
        table.add_row(
            "pool-exhausted minutes",
            f"{self.recorded.exhausted_minutes:.0f}",
            f"{self.alternative.exhausted_minutes:.0f}",
            f"{self.alternative.exhausted_minutes - self.recorded.exhausted_minutes:+.0f}",
        )
        table.add_row(
            "visits denied a number",
            str(self.recorded.denied_visits),
            str(self.alternative.denied_visits),
            f"{self.alternative.denied_visits - self.recorded.denied_visits:+d}",
        )
        return table


@dataclass
class _Pool:
    config: PoolConfigured
    numbers: dict[str, NumberConfigured] = field(default_factory=dict)
    activity: list[Activity] = field(default_factory=list)
    calls: dict[str, EngineCall] = field(default_factory=dict)

    def specials(self) -> set[str]:
        p = self.config.payload
        return {
            n
            for n in (
                p.default_number,
                p.overflow_number,
                p.default_before_display_number,
                p.default_after_reclaim_number,
            )
            if n
        }


def _activity(event: Envelope) -> Activity | None:
    match event:
        case VisitStarted(payload=p):
            return Activity(event.occurred_at, "start", p.visitor_id, p.visit_id, p.session)
        case VisitPageViewed(payload=p):
            return Activity(event.occurred_at, "page", p.visitor_id, p.visit_id, p.session, active=True)
        case VisitHeartbeat(payload=p):
            return Activity(event.occurred_at, "heartbeat", p.visitor_id, p.visit_id, active=bool(p.active))
        case VisitLeft(payload=p):
            return Activity(event.occurred_at, "leave", p.visitor_id, p.visit_id)
    return None


def _pools(events: Iterable[Envelope]) -> dict[str, _Pool]:
    pools: dict[str, _Pool] = {}
    numbers: dict[str, NumberConfigured] = {}
    calls: list[CallStarted | CallStatusChanged] = []
    for event in events:
        if isinstance(event, PoolConfigured):
            pool = pools.setdefault(event.payload.pool_id, _Pool(event))
            pool.config = event  # the latest settings are the recorded settings
        elif isinstance(event, NumberConfigured):
            numbers[event.payload.number] = event
        elif isinstance(event, CallStarted | CallStatusChanged):
            calls.append(event)
        elif (activity := _activity(event)) is not None:
            pool_id = event.payload.pool_id  # type: ignore[attr-defined]
            if pool_id in pools:
                pools[pool_id].activity.append(activity)
    owner = {}
    for number, configured in numbers.items():
        p = configured.payload
        if p.role is NumberRole.POOL and p.active and p.pool_id in pools:
            pools[p.pool_id].numbers[number] = configured
            owner[number] = p.pool_id
    for pool_id, pool in pools.items():
        owner.update(dict.fromkeys(pool.specials(), pool_id))
    for call in calls:
        facts = call.payload
        pool_id = owner.get(facts.tracking_number)
        if pool_id is not None and facts.call_id not in pools[pool_id].calls:
            pools[pool_id].calls[facts.call_id] = EngineCall(
                call_id=facts.call_id,
                at=facts.started_at,
                caller_number=facts.caller_number,
                tracking_number=facts.tracking_number,
            )
    return pools


def _setup(pool: _Pool, overrides: Overrides, defaults: PoolDefaults, start: datetime) -> PoolSetup:
    p = pool.config.payload
    recorded_quarantine = (
        p.quarantine_seconds if p.quarantine_seconds is not None else defaults.quarantine_seconds
    )
    quarantine = (
        overrides.quarantine_seconds if overrides.quarantine_seconds is not None else recorded_quarantine
    )
    numbers = sorted(pool.numbers)
    quarantined = {}
    for number in numbers:
        until = pool.numbers[number].payload.available_from
        if until is not None:
            # The move happened a recorded quarantine before `available_from`; the what-if quarantine runs from it.
            quarantined[number] = (
                until - timedelta(seconds=recorded_quarantine) + timedelta(seconds=quarantine)
            )
    size = overrides.pool_size if overrides.pool_size is not None else len(numbers)
    numbers = numbers[:size] + [f"+1899{n:08d}" for n in range(size - len(numbers))]
    hold = p.hold_seconds if p.hold_seconds is not None else defaults.hold_seconds
    delay = p.display_delay_seconds if p.display_delay_seconds is not None else defaults.display_delay_seconds
    reclaim = p.idle_reclaim_seconds if p.idle_reclaim_seconds is not None else defaults.idle_reclaim_seconds
    return PoolSetup(
        numbers=tuple(numbers),
        lease_seconds=p.lease_seconds,
        hold_seconds=overrides.hold_seconds if overrides.hold_seconds is not None else hold,
        display_delay_seconds=(
            overrides.display_delay_seconds if overrides.display_delay_seconds is not None else delay
        ),
        idle_reclaim_seconds=(
            overrides.idle_reclaim_seconds if overrides.idle_reclaim_seconds is not None else reclaim
        ),
        default_number=p.default_number,
        overflow_number=p.overflow_number,
        default_before_display_number=p.default_before_display_number,
        default_after_reclaim_number=p.default_after_reclaim_number,
        quarantined_until={n: t for n, t in quarantined.items() if n in numbers and t > start},
    )


def _outcome(result: EngineResult, setup: PoolSetup, calls: Sequence[EngineCall]) -> WhatIfOutcome:
    counts: Counter[str] = Counter()
    for call in calls:
        number = result.dialled.get(call.call_id)
        role = setup.role(number) if number else None
        answer = result.answers.get(call.call_id)
        if role in DEFAULT_ROLES:
            counts[DEFAULT] += 1
        elif role is NumberRole.OVERFLOW:
            counts[OVERFLOW] += 1
        elif answer is not None and answer.visit_id is not None:
            counts[ONE_SESSION if answer.sole_holder else SHARED] += 1
        else:
            counts[UNATTRIBUTED] += 1
    return WhatIfOutcome(counts, result.exhausted_seconds / 60, result.denied)


def _settled(end: datetime, setup: PoolSetup) -> datetime:
    """When every lease of the log has ended and its hold run out: the timers fire up to here."""
    return end + timedelta(seconds=setup.lease_seconds + setup.hold_seconds)


def _pool_what_if(
    pool: _Pool, overrides: Overrides, defaults: PoolDefaults
) -> tuple[WhatIfOutcome, WhatIfOutcome]:
    calls = sorted(pool.calls.values(), key=lambda c: (c.at, c.call_id))
    activity = sorted(pool.activity, key=lambda a: a.at)
    moments = [a.at for a in activity] + [c.at for c in calls]
    if not moments:
        return WhatIfOutcome(), WhatIfOutcome()
    start, end = min(moments), max(moments)
    recorded_setup = _setup(pool, Overrides(), defaults, start)
    recorded = run(activity, calls, recorded_setup, until=_settled(end, recorded_setup))
    # With other settings the caller of a matched call dials what they would have been shown then.
    replaced = []
    for call in calls:
        answer = recorded.answers.get(call.call_id)
        if answer is not None and answer.visitor_id is not None:
            replaced.append(replace(call, visitor_id=answer.visitor_id, seen_at=call.at))
        else:
            replaced.append(call)
    other_setup = _setup(pool, overrides, defaults, start)
    other = run(activity, replaced, other_setup, until=_settled(end, other_setup))
    return _outcome(recorded, recorded_setup, calls), _outcome(other, other_setup, replaced)


def what_if(
    events: Iterable[Envelope], overrides: Overrides, defaults: PoolDefaults | None = None
) -> WhatIfReport:
    """Estimate what `overrides` would have given over the recorded `events` (config first, then traffic)."""
    defaults = defaults or PoolDefaults()
    recorded, alternative = WhatIfOutcome(), WhatIfOutcome()
    pools = _pools(events)
    for pool in pools.values():
        before, after = _pool_what_if(pool, overrides, defaults)
        recorded, alternative = recorded + before, alternative + after
    return WhatIfReport(overrides, recorded, alternative, len(pools))
