"""The attribution policy: which session made a call, how sure we are, and why."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from attribution.domain.lease_history import LeaseHistory
from ctrack_common.events import CallFacts, Classification, NumberRole, SessionSnapshot

__all__ = ["Attribution", "CallerHistory", "KnownCall", "attribute"]

# A caller's calls to one tenant, as (started_at, call_id): the id breaks ties between simultaneous calls.
CallerHistory = Collection[tuple[datetime, str]]

NO_LEASE_AT_CALL_TIME = "no_lease_at_call_time"
NUMBER_NEVER_LEASED = "number_never_leased"


@dataclass(frozen=True)
class KnownCall:
    """A call as the join knows it: the latest facts, whose it is, and the role its number had."""

    tenant_id: str
    site_id: str | None
    facts: CallFacts
    number_role: NumberRole | None = None

    @property
    def started_at(self) -> datetime:
        return self.facts.started_at

    @property
    def order_key(self) -> tuple[datetime, str]:
        return (self.facts.started_at, self.facts.call_id)


@dataclass(frozen=True)
class Attribution:
    """The answer for one call, without the call facts (those change with status updates)."""

    classification: Classification
    confidence: float
    confidence_reasons: tuple[str, ...]
    first_time_caller: bool
    unattributed_reason: str | None = None
    lease_id: str | None = None
    visitor_id: str | None = None
    visit_id: str | None = None
    session: SessionSnapshot | None = None
    site_id: str | None = None


def _first_time(call: KnownCall, caller_history: CallerHistory) -> bool:
    return not any(key < call.order_key for key in caller_history)


def attribute(call: KnownCall, history: LeaseHistory, caller_history: CallerHistory = ()) -> Attribution:
    """Match `call` against the lease history of its number at the moment it started.

    `caller_history` holds the caller's calls to the same tenant known so far; the
    call is a first-time call when none of them started before it.
    """
    first_time = _first_time(call, caller_history)
    if call.number_role is NumberRole.DEFAULT:
        # Default numbers are shown before a dynamic number is displayed: no session can be named.
        return Attribution(
            classification=Classification.DEFAULT_BEFORE_DISPLAY,
            confidence=0.0,
            confidence_reasons=("called the site's default number, which is not leased to visitors",),
            first_time_caller=first_time,
            unattributed_reason="default_number",
        )
    holders = history.holding_at(call.tenant_id, call.started_at)
    if not holders:
        never = not history.leased_before(call.tenant_id, call.started_at)
        reason = NUMBER_NEVER_LEASED if never else NO_LEASE_AT_CALL_TIME
        return Attribution(
            classification=Classification.UNATTRIBUTED,
            confidence=0.0,
            confidence_reasons=(
                "number had never been leased when the call started"
                if never
                else "no visitor held the number when the call started",
            ),
            first_time_caller=first_time,
            unattributed_reason=reason,
        )
    # The allocator never leases a number twice at once; if the log says otherwise, name the latest
    # grant and say how unsure that is instead of hiding it.
    lease = holders[-1]
    if len(holders) == 1:
        confidence, reasons = 1.0, ("number held by exactly one visitor at call start",)
    else:
        confidence = 1.0 / len(holders)
        reasons = (f"number held by {len(holders)} visitors at call start; the latest grant was chosen",)
    return Attribution(
        classification=Classification.DYNAMIC,
        confidence=confidence,
        confidence_reasons=reasons,
        first_time_caller=first_time,
        lease_id=lease.lease_id,
        visitor_id=lease.visitor_id,
        visit_id=lease.visit_id,
        session=lease.snapshot_at(call.started_at),
        site_id=lease.site_id,
    )
