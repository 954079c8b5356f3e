"""Builders for join timelines: events at wall times of one test day, and a runner checking each step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from attribution.domain import AttributedCallVersion, ConfidenceModel, PartitionJoin
from ctrack_common.events import (
    CallFacts,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    LeaseExpired,
    LeaseExpiredPayload,
    LeaseGranted,
    LeaseGrantedPayload,
    LeaseReleased,
    LeaseReleasedPayload,
    LeaseRenewed,
    LeaseRenewedPayload,
    LeaseRevoked,
    LeaseRevokedPayload,
    NumberConfiguredPayload,
    NumberRole,
    SessionSnapshot,
    event_id_for,
)

NUMBER = "+14155550101"
OTHER_NUMBER = "+14155550102"
TENANT = "acme"
GRACE = timedelta(hours=1)


def at(clock: str) -> datetime:
    """'10:05' or '10:05:30' on the test day, in UTC."""
    parts = [int(p) for p in clock.split(":")]
    return datetime(2026, 3, 2, parts[0], parts[1], parts[2] if len(parts) > 2 else 0, tzinfo=UTC)


def snapshot(source: str) -> SessionSnapshot:
    return SessionSnapshot(source=source, medium="cpc", campaign=f"{source}-spring")


def granted(
    lease: str,
    start: str,
    expires: str,
    *,
    visitor: str = "v-a",
    source: str = "google",
    number: str = NUMBER,
) -> LeaseGranted:
    return LeaseGranted(
        event_id=event_id_for("granted", lease, start),
        occurred_at=at(start),
        recorded_at=at(start),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseGrantedPayload(
            lease_id=lease,
            pool_id="pool-1",
            number=number,
            visitor_id=visitor,
            visit_id=f"visit-{visitor}",
            expires_at=at(expires),
            session=snapshot(source),
        ),
    )


def renewed(
    lease: str, when: str, expires: str, *, visitor: str = "v-a", source: str = "google"
) -> LeaseRenewed:
    return LeaseRenewed(
        event_id=event_id_for("renewed", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseRenewedPayload(
            lease_id=lease,
            pool_id="pool-1",
            number=NUMBER,
            visitor_id=visitor,
            visit_id=f"visit-{visitor}",
            expires_at=at(expires),
            session=snapshot(source),
        ),
    )


def expired(lease: str, when: str, *, visitor: str = "v-a", hold: str | None = None) -> LeaseExpired:
    return LeaseExpired(
        event_id=event_id_for("expired", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseExpiredPayload(
            lease_id=lease,
            pool_id="pool-1",
            number=NUMBER,
            visitor_id=visitor,
            hold_until=at(hold) if hold else None,
        ),
    )


def released(lease: str, when: str, *, visitor: str = "v-a", hold: str | None = None) -> LeaseReleased:
    return LeaseReleased(
        event_id=event_id_for("released", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseReleasedPayload(
            lease_id=lease,
            pool_id="pool-1",
            number=NUMBER,
            visitor_id=visitor,
            visit_id=f"visit-{visitor}",
            hold_until=at(hold) if hold else None,
        ),
    )


def revoked(lease: str, when: str, *, visitor: str = "v-a", hold: str | None = None) -> LeaseRevoked:
    return LeaseRevoked(
        event_id=event_id_for("revoked", lease, when),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=LeaseRevokedPayload(
            lease_id=lease,
            pool_id="pool-1",
            number=NUMBER,
            visitor_id=visitor,
            hold_until=at(hold) if hold else None,
        ),
    )


def configured(
    role: NumberRole = NumberRole.POOL,
    *,
    channel: str | None = None,
    available_from: str | None = None,
) -> NumberConfiguredPayload:
    return NumberConfiguredPayload(
        number=NUMBER,
        provider="twilio",
        role=role,
        pool_id="pool-1" if role is NumberRole.POOL else None,
        site_id="site-1",
        channel=channel,
        available_from=at(available_from) if available_from else None,
    )


def facts(
    call: str,
    start: str,
    *,
    status: CallStatus = CallStatus.RINGING,
    seq: int = 0,
    caller: str = "+14155550999",
    number: str = NUMBER,
    duration: int | None = None,
    blocked: bool = False,
) -> CallFacts:
    return CallFacts(
        call_id=call,
        provider="twilio",
        provider_call_id=call,
        caller_number=caller,
        tracking_number=number,
        started_at=at(start),
        status=status,
        answered=status in (CallStatus.IN_PROGRESS, CallStatus.COMPLETED),
        duration_seconds=duration,
        sequence_number=seq,
        blocked=blocked,
        block_reason="spam" if blocked else None,
    )


def call_started(call: str, start: str, **kwargs: object) -> CallStarted:
    payload = facts(call, start, **kwargs)  # type: ignore[arg-type]
    return CallStarted(
        event_id=event_id_for("started", call),
        occurred_at=payload.started_at,
        recorded_at=payload.started_at,
        tenant_id=TENANT,
        site_id="site-1",
        payload=payload,
    )


def status_changed(call: str, start: str, when: str, **kwargs: object) -> CallStatusChanged:
    payload = facts(call, start, **kwargs)  # type: ignore[arg-type]
    return CallStatusChanged(
        event_id=event_id_for("status", call, payload.sequence_number),
        occurred_at=at(when),
        recorded_at=at(when),
        tenant_id=TENANT,
        site_id="site-1",
        payload=payload,
    )


Event = (
    LeaseGranted
    | LeaseRenewed
    | LeaseExpired
    | LeaseReleased
    | LeaseRevoked
    | CallStarted
    | CallStatusChanged
)
# What a step emits, in short: (call id, version, classification, lease id or unattributed reason).
Emitted = tuple[str, int, str, str | None]


@dataclass
class Timeline:
    """Feeds events to one partition's join in arrival order and records what each step emitted."""

    grace: timedelta = GRACE
    roles: dict[str, NumberRole] | None = None
    configs: dict[str, NumberConfiguredPayload | None] | None = None
    retention: timedelta = timedelta(days=30)
    model: ConfidenceModel | None = None

    def __post_init__(self) -> None:
        self.join = PartitionJoin(self.grace, retention=self.retention, model=self.model)
        self.latest: dict[str, AttributedCallVersion] = {}

    def _config(self, number: str) -> NumberConfiguredPayload | None:
        # Every number of the test day is a pool number in the inventory unless the test says otherwise.
        configs = self.configs or {}
        if number in configs:
            return configs[number]
        role = (self.roles or {}).get(number, NumberRole.POOL)
        return configured(role).model_copy(update={"number": number})

    def feed(self, event: Event) -> list[Emitted]:
        if isinstance(event, CallStarted | CallStatusChanged):
            versions = self.join.on_call(
                tenant_id=event.tenant_id,
                site_id=event.site_id,
                occurred_at=event.occurred_at,
                facts=event.payload,
                number_config=self._config(event.payload.tracking_number),
            )
        else:
            versions = self.join.on_lease(event)
        for v in versions:
            self.latest[v.call_id] = v
        return [
            (
                v.call_id,
                v.version,
                v.attribution.classification.value,
                v.attribution.lease_id or v.attribution.unattributed_reason,
            )
            for v in versions
        ]

    def run(self, steps: Sequence[tuple[Event, list[Emitted]]]) -> None:
        for number, (event, expected) in enumerate(steps, start=1):
            assert self.feed(event) == expected, f"step {number}: {event.event_type}"
