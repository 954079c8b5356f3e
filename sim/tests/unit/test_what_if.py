"""What-if over a small hand-made log: one pool number, hold 7 min, an overflow and a before-display number.

    10:00     A opens a page     -> N1 to A
    10:00:30  A calls N1         -> matched A (one session)
    10:01     A leaves           N1 on hold for A until 10:08
    10:02     B opens a page     -> nothing free: overflow shown, pool exhausted until 10:08
    10:03     B calls the overflow number
    10:04     B leaves

With two numbers B gets one: no exhaustion, no denial (B's call stays on the overflow number: nobody
knows who made an unmatched call). With a 60 s display delay A is still on the before-display
number at 10:00:30, so A's call lands on a default number.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ctrack_common.events import (
    CallFacts,
    CallStarted,
    CallStatus,
    Envelope,
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    Payload,
    PoolConfigured,
    PoolConfiguredPayload,
    SessionSnapshot,
    VisitLeft,
    VisitLeftPayload,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_sim.what_if import DEFAULT, ONE_SESSION, OVERFLOW, Overrides, what_if

DAY = datetime(2026, 1, 5, tzinfo=UTC)
N1, OVERFLOW_NUMBER, BEFORE_DISPLAY = "+18000000001", "+18990000002", "+18990000003"


def at(clock: str) -> datetime:
    hours, minutes, *seconds = (int(part) for part in clock.split(":"))
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


def envelope(cls: Callable[..., Envelope], moment: datetime, payload: Payload) -> Envelope:
    return cls(
        event_id=event_id_for(str(cls), moment.isoformat(), payload.model_dump_json()),
        occurred_at=moment,
        recorded_at=moment,
        tenant_id="t",
        site_id="site",
        payload=payload,
    )


def visit(clock: str, visitor: str) -> Envelope:
    payload = VisitStartedPayload(
        visit_id=f"{visitor}.0",
        visitor_id=visitor,
        pool_id="pool",
        page_url="https://x.example/",
        session=SessionSnapshot(source="google"),
    )
    return envelope(VisitStarted, at(clock), payload)


def left(clock: str, visitor: str) -> Envelope:
    return envelope(
        VisitLeft, at(clock), VisitLeftPayload(visit_id=f"{visitor}.0", visitor_id=visitor, pool_id="pool")
    )


def call(clock: str, call_id: str, number: str) -> Envelope:
    facts = CallFacts(
        call_id=call_id,
        provider="twilio",
        provider_call_id=call_id,
        caller_number="+15550001111",
        tracking_number=number,
        started_at=at(clock),
        status=CallStatus.RINGING,
    )
    return envelope(CallStarted, at(clock), facts)


def number(value: str, role: NumberRole) -> Envelope:
    payload = NumberConfiguredPayload(
        number=value, provider="twilio", role=role, pool_id="pool" if role is NumberRole.POOL else None
    )
    return envelope(NumberConfigured, DAY, payload)


LOG = [
    envelope(
        PoolConfigured,
        DAY,
        PoolConfiguredPayload(
            pool_id="pool",
            lease_seconds=1800,
            hold_seconds=420,
            overflow_number=OVERFLOW_NUMBER,
            default_before_display_number=BEFORE_DISPLAY,
        ),
    ),
    number(N1, NumberRole.POOL),
    number(OVERFLOW_NUMBER, NumberRole.OVERFLOW),
    number(BEFORE_DISPLAY, NumberRole.DEFAULT_BEFORE_DISPLAY),
    visit("10:00", "A"),
    call("10:00:30", "call-a", N1),
    left("10:01", "A"),
    visit("10:02", "B"),
    call("10:03", "call-b", OVERFLOW_NUMBER),
    left("10:04", "B"),
]


def test_the_recorded_settings_reproduce_the_log() -> None:
    report = what_if(LOG, Overrides(pool_size=2))
    assert report.recorded.calls == {ONE_SESSION: 1, OVERFLOW: 1}
    assert report.recorded.denied_visits == 1
    assert report.recorded.exhausted_minutes == 6


def test_a_second_number_ends_the_exhaustion() -> None:
    report = what_if(LOG, Overrides(pool_size=2))
    assert report.alternative.denied_visits == 0
    assert report.alternative.exhausted_minutes == 0
    assert report.alternative.calls == {ONE_SESSION: 1, OVERFLOW: 1}


def test_a_display_delay_moves_an_early_caller_to_the_default_number() -> None:
    report = what_if(LOG, Overrides(display_delay_seconds=60))
    assert report.alternative.calls == {DEFAULT: 1, OVERFLOW: 1}


def test_the_table_says_the_figures_are_estimates() -> None:
    table = what_if(LOG, Overrides(hold_seconds=0)).table()
    assert "ESTIMATES" in str(table.title)
    assert table.row_count == 8


def test_overrides_read_the_replay_command_names() -> None:
    overrides = Overrides.from_mapping({"hold": 120.0, "delay": 50.0, "pool-size": 30})
    assert overrides == Overrides(hold_seconds=120, display_delay_seconds=50, pool_size=30)
