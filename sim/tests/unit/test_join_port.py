"""The join port: repeat calls survive the engine's daily rebuild of the join."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ctrack_common.events import LeaseGranted, LeaseGrantedPayload, NumberRole, SessionSnapshot, event_id_for
from ctrack_sim.join_port import CallAnswer, CallerState, Join

DAY = datetime(2026, 1, 5, 10, tzinfo=UTC)
NUMBER = "+18000000001"
CALLER = "+15550000001"


def granted(lease: str, visitor: str, at: datetime) -> LeaseGranted:
    return LeaseGranted(
        event_id=event_id_for("grant", lease),
        occurred_at=at,
        recorded_at=at,
        tenant_id="sim-tenant",
        site_id="sim-site",
        payload=LeaseGrantedPayload(
            lease_id=lease,
            pool_id="pool",
            number=NUMBER,
            visitor_id=visitor,
            visit_id=f"{visitor}.0",
            expires_at=at + timedelta(minutes=30),
            session=SessionSnapshot(source="google"),
        ),
    )


def test_a_repeat_call_after_the_join_is_rebuilt_keeps_the_first_calls_session() -> None:
    answers: dict[str, CallAnswer] = {}
    callers: dict[str, CallerState] = {}
    first_day = Join(timedelta(hours=1), answers, callers=callers)
    first_day.lease(granted("L1", "A", DAY))
    first_day.call(
        call_id="c1",
        at=DAY + timedelta(minutes=5),
        caller_number=CALLER,
        tracking_number=NUMBER,
        role=NumberRole.POOL,
    )
    # The engine's daily rebuild: number histories start again, the caller table carries on.
    next_day = Join(timedelta(hours=1), answers, callers=callers)
    next_day.lease(granted("L2", "B", DAY + timedelta(days=1)))
    next_day.call(
        call_id="c2",
        at=DAY + timedelta(days=1, minutes=5),
        caller_number=CALLER,
        tracking_number=NUMBER,
        role=NumberRole.POOL,
    )
    assert (answers["c1"].visitor_id, answers["c1"].basis) == ("A", "live")
    assert (answers["c2"].visitor_id, answers["c2"].basis) == ("A", "repeat_caller")


def test_joins_of_different_runs_do_not_share_callers() -> None:
    one = Join(timedelta(hours=1), {})
    one.lease(granted("L1", "A", DAY))
    one.call(
        call_id="c1",
        at=DAY + timedelta(minutes=5),
        caller_number=CALLER,
        tracking_number=NUMBER,
        role=NumberRole.POOL,
    )
    other_answers: dict[str, CallAnswer] = {}
    other = Join(timedelta(hours=1), other_answers)
    other.lease(granted("L2", "B", DAY + timedelta(days=1)))
    other.call(
        call_id="c2",
        at=DAY + timedelta(days=1, minutes=5),
        caller_number=CALLER,
        tracking_number=NUMBER,
        role=NumberRole.POOL,
    )
    assert other_answers["c2"].visitor_id == "B"
