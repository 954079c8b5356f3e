"""The one place the simulator touches the join's pure core (`attribution.domain`).

Lease events and calls go into a `PartitionJoin` the way the attribution service feeds it; the
latest version of each call's answer is kept. When the core's public names change, only this
module needs to follow.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from attribution.domain import (
    AttributedCallVersion,
    Attribution,
    CallerState,
    ConfidenceModel,
    PartitionJoin,
)
from ctrack_common.events import (
    CallFacts,
    CallStatus,
    LeaseExpired,
    LeaseExpiredPayload,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    NumberRole,
    event_id_for,
)

__all__ = ["JOINED", "CallAnswer", "CallerState", "Join"]

# The lease events the re-keyed history topic carries (denials, holds and deferrals never reach the join).
JOINED = (LeaseGranted, LeaseRenewed, LeaseExpired, LeaseReleased, LeaseRevoked)
TICK_NUMBER = "+19990000000"  # never in a pool, never dialled
JoinedEvent = LeaseGranted | LeaseRenewed | LeaseExpired | LeaseReleased | LeaseRevoked


@dataclass(frozen=True)
class CallAnswer:
    """The join's latest answer for a call, in the terms the metrics and the calibration need.

    `basis` says what a named session rests on: `live` (the lease was in force), `hold` (in the hold
    after it, `elapsed` its fraction), `last_holder` (nobody held the number since, `elapsed` the
    seconds since the hold ended) or `repeat_caller` (the caller's earlier call on the number);
    `holders` is how many visitors' intervals contained the call's start; `sole_holder` says the
    number named one session beyond doubt (a live lease, its visitor the only one that day).
    """

    classification: str
    visitor_id: str | None
    visit_id: str | None
    confidence: float
    reason: str | None
    basis: str | None = None
    elapsed: float = 0.0
    holders: int = 0
    sole_holder: bool = False


def _answer(attribution: Attribution) -> CallAnswer:
    evidence = attribution.evidence
    basis: str | None = None
    elapsed = 0.0
    if attribution.repeat_call:
        basis = "repeat_caller"
    elif evidence is not None and evidence.after_hold:
        basis, elapsed = "last_holder", evidence.since_hold_end_seconds
    elif evidence is not None and evidence.in_hold:
        basis = "hold"
        elapsed = evidence.hold_elapsed_seconds / evidence.hold_seconds if evidence.hold_seconds > 0 else 1.0
    elif evidence is not None:
        basis = "live"
    return CallAnswer(
        classification=str(attribution.classification),
        visitor_id=attribution.visitor_id,
        visit_id=attribution.visit_id,
        confidence=attribution.confidence,
        reason=attribution.unattributed_reason,
        basis=basis,
        elapsed=elapsed,
        holders=evidence.concurrent_holders if evidence is not None else 0,
        sole_holder=basis == "live"
        and evidence is not None
        and evidence.concurrent_holders == 1
        and evidence.visitors_that_day == 1,
    )


class Join:
    """One partition of the join (the simulator runs one site, so one partition holds it all).

    The engine rebuilds the join every simulated day (see `engine._Joins`); the joins of one run
    share one store of callers' states (`callers`), as the service's caller table outlives a
    number's history, so a repeat call a day later still knows the first call.
    `model` is the join's confidence model (`default_model` unless given; the calibration sets it).
    """

    default_model: ClassVar[ConfidenceModel] = ConfidenceModel()

    def __init__(
        self,
        grace: timedelta,
        answers: dict[str, CallAnswer],
        *,
        tenant_id: str = "sim-tenant",
        site_id: str = "sim-site",
        model: ConfidenceModel | None = None,
        callers: MutableMapping[str, CallerState] | None = None,
    ) -> None:
        self._callers: MutableMapping[str, CallerState] = {} if callers is None else callers
        self._join = PartitionJoin(grace, model=model or self.default_model, callers=self._callers)
        self._tenant_id = tenant_id
        self._site_id = site_id
        self.answers = answers

    def lease(self, event: JoinedEvent) -> None:
        self._keep(self._join.on_lease(event))

    def call(
        self, *, call_id: str, at: datetime, caller_number: str, tracking_number: str, role: NumberRole | None
    ) -> None:
        facts = CallFacts(
            call_id=call_id,
            provider="sim",
            provider_call_id=call_id,
            caller_number=caller_number,
            tracking_number=tracking_number,
            started_at=at,
            status=CallStatus.RINGING,
        )
        self._keep(
            self._join.on_call(
                tenant_id=self._tenant_id,
                site_id=self._site_id,
                occurred_at=at,
                facts=facts,
                number_role=role,
            )
        )

    def tick(self, at: datetime) -> None:
        """Move the join's stream time to `at`, as later traffic on the partition would: calls waiting
        out their grace get answered. The tick is the expiry of a lease of a number nobody dials."""
        self._keep(
            self._join.on_lease(
                LeaseExpired(
                    event_id=event_id_for("sim-tick", at.isoformat()),
                    occurred_at=at,
                    recorded_at=at,
                    tenant_id=self._tenant_id,
                    site_id=self._site_id,
                    payload=LeaseExpiredPayload(
                        lease_id="sim-tick", pool_id="sim-tick", number=TICK_NUMBER, visitor_id="sim-tick"
                    ),
                )
            )
        )

    def _keep(self, versions: list[AttributedCallVersion]) -> None:
        for version in versions:
            self.answers[version.call_id] = _answer(version.attribution)
