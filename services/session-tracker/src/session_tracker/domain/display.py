"""What a visitor's tabs show, folded from the allocator's lease events: `shown_after(event, pool, current)`.

| event | status | kind | reason |
|---|---|---|---|
| LeaseGranted / LeaseRenewed | granted / renewed | pool | - |
| LeaseDeferred | deferred | default-before-display | display_delay |
| StaticNumberAssigned | static | static | - |
| LeaseDenied | default | overflow (the pool's overflow number) or default | pool_exhausted / pool_empty |
| LeaseRevoked | default | default-after-reclaim | idle |
| LeaseExpired / LeaseReleased of the lease shown | default | default | expired / left |
| LeaseDeferralCancelled of the deferral shown | default | default | left |
Events about a lease or deferral the visitor no longer shows change nothing (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ctrack_common.events import (
    Envelope,
    LeaseDeferralCancelled,
    LeaseDeferred,
    LeaseDenied,
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
    PoolConfiguredPayload,
    StaticNumberAssigned,
)

__all__ = ["HOLDING", "Kind", "Shown", "Status", "default_shown", "shown_after"]

Status = Literal["granted", "renewed", "default", "pending", "deferred", "static"]
Kind = Literal["pool", "static", "default-before-display", "default-after-reclaim", "overflow", "default"]

HOLDING = frozenset({"granted", "renewed", "deferred"})


@dataclass(frozen=True)
class Shown:
    """The number a visitor's tabs show and why; `visit_id` is the visit the allocator answered."""

    status: Status
    number: str | None
    kind: Kind
    reason: str | None = None
    lease_id: str | None = None
    expires_at: datetime | None = None
    grant_at: datetime | None = None
    visit_id: str | None = None

    @property
    def holds_pool_number(self) -> bool:
        """Holding, or about to hold, a number of the pool (what the per-address caps count)."""
        return self.status in HOLDING


def default_shown(pool: PoolConfiguredPayload | None, status: Status, reason: str | None) -> Shown:
    """The site's plain default number (pending answers, bots, no consent, ended leases)."""
    return Shown(status, pool.default_number if pool else None, "default", reason)


def _first(*numbers: str | None) -> str | None:
    return next((n for n in numbers if n), None)


def shown_after(event: Envelope, pool: PoolConfiguredPayload | None, current: Shown | None) -> Shown | None:
    """What the visitor shows after `event` (a lease event of their pool), or None when it is unchanged."""
    default = pool.default_number if pool else None
    match event:
        case LeaseGranted() | LeaseRenewed():
            p = event.payload
            status: Status = "granted" if isinstance(event, LeaseGranted) else "renewed"
            return Shown(status, p.number, "pool", None, p.lease_id, p.expires_at, visit_id=p.visit_id)
        case LeaseDeferred():
            d = event.payload
            number = _first(d.default_number, pool.default_before_display_number if pool else None, default)
            return Shown(
                "deferred",
                number,
                "default-before-display",
                "display_delay",
                grant_at=d.grant_at,
                visit_id=d.visit_id,
            )
        case StaticNumberAssigned():
            return Shown("static", event.payload.number, "static", visit_id=event.payload.visit_id)
        case LeaseDenied():
            n = event.payload
            number = _first(n.default_number, default)
            overflow = (
                pool is not None and pool.overflow_number is not None and number == pool.overflow_number
            )
            return Shown(
                "default", number, "overflow" if overflow else "default", n.reason, visit_id=n.visit_id
            )
        case LeaseRevoked():
            r = event.payload
            if current is not None and current.lease_id not in (None, r.lease_id):
                return None
            number = _first(r.default_number, pool.default_after_reclaim_number if pool else None, default)
            return Shown("default", number, "default-after-reclaim", r.reason)
        case LeaseExpired() | LeaseReleased():
            if current is None or current.lease_id != event.payload.lease_id:
                return None
            return Shown(
                "default", default, "default", "expired" if isinstance(event, LeaseExpired) else "left"
            )
        case LeaseDeferralCancelled():
            if current is None or current.status != "deferred":
                return None
            return Shown("default", default, "default", "left")
    return None
