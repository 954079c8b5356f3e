"""The delivery ledger: what each endpoint already has, folded from the webhook-deliveries log.

For one endpoint and one call, a version is sent at most once, and never after a newer one:
a CRM receiving version 1 after version 2 would overwrite the better answer with the older.

| ledger for (endpoint, call)  | incoming version | decision          |
|------------------------------|------------------|-------------------|
| nothing delivered            | v                | deliver           |
| v delivered                  | v                | already delivered |
| w > v delivered              | v                | superseded        |
| v abandoned (dead-lettered)  | v                | already abandoned |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from crm_sync.domain.signing import webhook_id_for
from ctrack_common.events import (
    CallAttributed,
    WebhookAbandoned,
    WebhookDelivered,
    WebhookDeliveryPayload,
    event_id_for,
    to_millis,
)

__all__ = ["Decision", "DeliveryLedger", "abandoned", "delivered"]


class Decision(StrEnum):
    DELIVER = "deliver"
    ALREADY_DELIVERED = "already_delivered"
    SUPERSEDED = "superseded"
    ALREADY_ABANDONED = "already_abandoned"


@dataclass
class DeliveryLedger:
    """Latest delivered version per (endpoint, call), and the webhooks given up on."""

    _delivered: dict[tuple[str, str], int] = field(default_factory=dict)
    _abandoned: dict[str, str] = field(default_factory=dict)

    def decide(self, endpoint_id: str, call_id: str, version: int) -> Decision:
        latest = self._delivered.get((endpoint_id, call_id))
        if latest is not None and version == latest:
            return Decision.ALREADY_DELIVERED
        if latest is not None and version < latest:
            return Decision.SUPERSEDED
        if webhook_id_for(endpoint_id, call_id, version) in self._abandoned:
            return Decision.ALREADY_ABANDONED
        return Decision.DELIVER

    def abandon_reason(self, webhook_id: str) -> str | None:
        return self._abandoned.get(webhook_id)

    def record(self, outcome: WebhookDelivered | WebhookAbandoned) -> None:
        p = outcome.payload
        if isinstance(outcome, WebhookDelivered):
            key = (p.endpoint_id, p.call_id)
            self._delivered[key] = max(p.version, self._delivered.get(key, p.version))
            self._abandoned.pop(p.webhook_id, None)
        else:
            self._abandoned[p.webhook_id] = p.reason or "abandoned"


def _payload(
    call: CallAttributed, endpoint_id: str, attempts: int, status_code: int | None, reason: str | None
) -> WebhookDeliveryPayload:
    version = call.payload.version
    return WebhookDeliveryPayload(
        webhook_id=webhook_id_for(endpoint_id, call.payload.call_id, version),
        endpoint_id=endpoint_id,
        call_id=call.payload.call_id,
        version=version,
        attempts=attempts,
        status_code=status_code,
        reason=reason,
    )


def delivered(
    call: CallAttributed, endpoint_id: str, *, attempts: int, status_code: int, at: datetime
) -> WebhookDelivered:
    payload = _payload(call, endpoint_id, attempts, status_code, None)
    return WebhookDelivered(
        event_id=event_id_for(payload.webhook_id, "delivered"),
        occurred_at=to_millis(at),
        recorded_at=to_millis(at),
        tenant_id=call.tenant_id,
        site_id=call.site_id,
        payload=payload,
    )


def abandoned(
    call: CallAttributed,
    endpoint_id: str,
    *,
    attempts: int,
    status_code: int | None,
    reason: str,
    at: datetime,
) -> WebhookAbandoned:
    payload = _payload(call, endpoint_id, attempts, status_code, reason)
    return WebhookAbandoned(
        event_id=event_id_for(payload.webhook_id, "abandoned"),
        occurred_at=to_millis(at),
        recorded_at=to_millis(at),
        tenant_id=call.tenant_id,
        site_id=call.site_id,
        payload=payload,
    )
