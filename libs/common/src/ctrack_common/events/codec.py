"""Bytes on the wire <-> event objects, with a precise reason when bytes are not an event."""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from ctrack_common.events import models
from ctrack_common.events.envelope import Envelope
from ctrack_common.topics import Topic

__all__ = ["EVENT_CLASSES", "UndecodableEvent", "decode", "encode"]

EVENT_CLASSES: dict[str, type[Envelope]] = {
    cls.model_fields["event_type"].default: cls
    for cls in (
        models.VisitStarted,
        models.VisitHeartbeat,
        models.LeaseGranted,
        models.LeaseRenewed,
        models.LeaseExpired,
        models.LeaseDenied,
        models.LeaseReleased,
        models.LeaseRevoked,
        models.LeaseHoldEnded,
        models.LeaseDeferred,
        models.LeaseDeferralCancelled,
        models.PoolExhausted,
        models.VisitLeft,
        models.VisitPageViewed,
        models.NumberRevealed,
        models.StaticNumberAssigned,
        models.CallStarted,
        models.CallStatusChanged,
        models.CallRecordingAvailable,
        models.CallAttributed,
        models.TenantConfigured,
        models.SiteConfigured,
        models.PoolConfigured,
        models.NumberConfigured,
        models.StaticRuleConfigured,
        models.CallerBlockConfigured,
        models.WebhookEndpointConfigured,
        models.WebhookDelivered,
        models.WebhookAbandoned,
    )
}


class UndecodableEvent(ValueError):
    """The bytes of a record are not a valid event for its topic; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def encode(event: Envelope) -> bytes:
    return event.model_dump_json().encode()


def decode(raw: bytes | None, topic: Topic) -> Envelope:
    """Parse and validate one record value published on `topic`."""
    if raw is None:
        raise UndecodableEvent("record has no value")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise UndecodableEvent(f"value is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise UndecodableEvent("value is not a JSON object")
    event_type = data.get("event_type")
    if event_type not in topic.event_types:
        raise UndecodableEvent(f"event_type {event_type!r} is not published on topic {topic.name!r}")
    try:
        return EVENT_CLASSES[event_type].model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors(include_url=False)
        )
        raise UndecodableEvent(f"invalid {event_type}: {problems}") from exc
