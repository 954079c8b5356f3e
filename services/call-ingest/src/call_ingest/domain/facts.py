"""Provider webhooks in our words, and the `calls` events they state.

Event ids are derived from the fact, never from the time of receipt, so a provider retrying a
webhook produces the same event and idempotent sinks keep one:

| event             | event id from                       |
|-------------------|-------------------------------------|
| CallStarted       | (call_id, "started")                |
| CallStatusChanged | (call_id, status, sequence_number)  |

"Answered" follows Twilio: `in-progress` is the answered event of the dialled leg; `completed`
counts as answered only with a positive duration (a completed leg of 0 s never connected).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from call_ingest.domain.routing import CallOwner
from ctrack_common.events import (
    CallFacts,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    event_id_for,
    to_millis,
)

__all__ = [
    "CallProgress",
    "IncomingCall",
    "call_id_for",
    "call_started",
    "call_status_changed",
    "is_answered",
]


@dataclass(frozen=True)
class IncomingCall:
    """A provider's incoming-call webhook: a call to one of our numbers is ringing."""

    provider: str
    provider_call_id: str
    caller_number: str
    tracking_number: str
    status: CallStatus


@dataclass(frozen=True)
class CallProgress:
    """A provider's status callback about a call we routed."""

    provider: str
    provider_call_id: str
    caller_number: str
    tracking_number: str
    status: CallStatus
    sequence_number: int
    duration_seconds: int | None
    occurred_at: datetime
    started_at: datetime


def call_id_for(provider: str, provider_call_id: str) -> str:
    return f"{provider}:{provider_call_id}"


def is_answered(status: CallStatus, duration_seconds: int | None) -> bool:
    if status is CallStatus.IN_PROGRESS:
        return True
    return status is CallStatus.COMPLETED and (duration_seconds or 0) > 0


def call_started(call: IncomingCall, owner: CallOwner, received_at: datetime) -> CallStarted:
    """The call started when we were told (the provider's incoming-call webhook carries no time)."""
    started_at = to_millis(received_at)
    call_id = call_id_for(call.provider, call.provider_call_id)
    return CallStarted(
        event_id=event_id_for(call_id, "started"),
        occurred_at=started_at,
        recorded_at=started_at,
        tenant_id=owner.tenant_id,
        site_id=owner.site_id,
        payload=CallFacts(
            call_id=call_id,
            provider=call.provider,
            provider_call_id=call.provider_call_id,
            caller_number=call.caller_number,
            tracking_number=call.tracking_number,
            started_at=started_at,
            status=call.status,
        ),
    )


def call_status_changed(progress: CallProgress, owner: CallOwner, received_at: datetime) -> CallStatusChanged:
    call_id = call_id_for(progress.provider, progress.provider_call_id)
    return CallStatusChanged(
        event_id=event_id_for(call_id, progress.status.value, progress.sequence_number),
        occurred_at=progress.occurred_at,
        recorded_at=received_at,
        tenant_id=owner.tenant_id,
        site_id=owner.site_id,
        payload=CallFacts(
            call_id=call_id,
            provider=progress.provider,
            provider_call_id=progress.provider_call_id,
            caller_number=progress.caller_number,
            tracking_number=progress.tracking_number,
            started_at=progress.started_at,
            status=progress.status,
            answered=is_answered(progress.status, progress.duration_seconds),
            duration_seconds=progress.duration_seconds,
            sequence_number=progress.sequence_number,
        ),
    )
