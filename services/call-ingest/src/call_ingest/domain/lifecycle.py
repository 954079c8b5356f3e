"""Any provider's call lifecycle in our words: started, answered, ended, recording available.

Provider adapters turn their webhooks into `CallObservation`s; this module alone turns those into
`calls` events, so every provider's calls look the same downstream. Pure: the receipt time and
the clock-skew tolerance are arguments.

| stage     | event                  | status                 | event id from                        | seq |
|-----------|------------------------|------------------------|--------------------------------------|-----|
| started   | CallStarted            | ringing                | (call_id, "started")                 | 0   |
| answered  | CallStatusChanged      | in-progress            | (call_id, "answered")                | 10  |
| ended     | CallStatusChanged      | from the outcome       | (call_id, "ended")                   | 20  |
| recording | CallRecordingAvailable | completed              | (call_id, "recording", recording_id) | 30  |

Ids come from the fact, never from the receipt: a provider delivering an event twice yields the
same event id. Sequence numbers order the stages for consumers keeping the latest facts (they
sit above Twilio's status-callback SequenceNumbers, 0-3 for one leg).

**Time of the call**: the provider's earliest ringing/initiated time (`started_at`), trusted unless
it lies more than the skew tolerance in the future of our receipt (a provider clock running
ahead): then the receipt time is used. Same rule for each event's own time.

**Blocked callers** (the tenant's block list): every event of the call carries `blocked` and the
list's reason (`flagged`); the event id does not change, the fact is the same, annotated. The
call is still forwarded: a number blocked by mistake must not cost the business a customer.

**Answered or missed** is the forwarded leg's outcome (see the provider tables below), never the
inbound leg's: the caller's leg is "answered" by the provider as soon as it is bridged to us.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from call_ingest.domain.facts import call_id_for
from call_ingest.domain.routing import CallOwner
from ctrack_common.events import (
    CallFacts,
    CallOutcome,
    CallRecordingAvailable,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    event_id_for,
    to_millis,
)

__all__ = [
    "CallObservation",
    "LifecycleEvent",
    "Stage",
    "event_for",
    "flagged",
    "outcome_of_telnyx_hangup",
    "outcome_of_twilio_dial",
    "outcome_of_zadarma_disposition",
    "ring_and_talk",
    "trusted_time",
]

LifecycleEvent = CallStarted | CallStatusChanged | CallRecordingAvailable


class Stage(StrEnum):
    STARTED = "started"
    ANSWERED = "answered"
    ENDED = "ended"
    RECORDING = "recording"


_SEQUENCE = {Stage.STARTED: 0, Stage.ANSWERED: 10, Stage.ENDED: 20, Stage.RECORDING: 30}

_STATUS_OF_OUTCOME = {
    CallOutcome.ANSWERED: CallStatus.COMPLETED,
    CallOutcome.MISSED: CallStatus.NO_ANSWER,
    CallOutcome.BUSY: CallStatus.BUSY,
    CallOutcome.FAILED: CallStatus.FAILED,
    CallOutcome.CANCELLED: CallStatus.CANCELED,
}


@dataclass(frozen=True)
class CallObservation:
    """One provider webhook about one call, in provider-independent terms."""

    provider: str
    provider_call_id: str
    stage: Stage
    caller_number: str
    tracking_number: str
    started_at: datetime | None = None
    occurred_at: datetime | None = None
    outcome: CallOutcome | None = None
    ring_seconds: int | None = None
    talk_seconds: int | None = None
    recording_id: str | None = None
    recording_url: str | None = None


def trusted_time(stated: datetime | None, received_at: datetime, skew: timedelta) -> datetime:
    """The provider's time unless absent or more than `skew` ahead of our receipt."""
    if stated is None or stated > received_at + skew:
        return received_at
    return stated


def event_for(
    observation: CallObservation, owner: CallOwner, received_at: datetime, skew: timedelta
) -> LifecycleEvent:
    o = observation
    call_id = call_id_for(o.provider, o.provider_call_id)
    occurred_at = to_millis(trusted_time(o.occurred_at, received_at, skew))
    started_at = to_millis(trusted_time(o.started_at or o.occurred_at, received_at, skew))
    facts = {
        "call_id": call_id,
        "provider": o.provider,
        "provider_call_id": o.provider_call_id,
        "caller_number": o.caller_number,
        "tracking_number": o.tracking_number,
        "started_at": started_at,
        "sequence_number": _SEQUENCE[o.stage],
        "ring_seconds": o.ring_seconds,
        "talk_seconds": o.talk_seconds,
    }
    envelope = {
        "occurred_at": occurred_at,
        "recorded_at": to_millis(received_at),
        "tenant_id": owner.tenant_id,
        "site_id": owner.site_id,
    }
    match o.stage:
        case Stage.STARTED:
            return CallStarted(
                event_id=event_id_for(call_id, "started"),
                payload=CallFacts(status=CallStatus.RINGING, **facts),
                **envelope,
            )
        case Stage.ANSWERED:
            return CallStatusChanged(
                event_id=event_id_for(call_id, "answered"),
                payload=CallFacts(status=CallStatus.IN_PROGRESS, answered=True, **facts),
                **envelope,
            )
        case Stage.ENDED:
            outcome = o.outcome or CallOutcome.FAILED
            return CallStatusChanged(
                event_id=event_id_for(call_id, "ended"),
                payload=CallFacts(
                    status=_STATUS_OF_OUTCOME[outcome],
                    answered=outcome is CallOutcome.ANSWERED,
                    outcome=outcome,
                    duration_seconds=o.talk_seconds,
                    **facts,
                ),
                **envelope,
            )
        case Stage.RECORDING:
            return CallRecordingAvailable(
                event_id=event_id_for(call_id, "recording", o.recording_id or o.recording_url or ""),
                payload=CallFacts(
                    status=CallStatus.COMPLETED, answered=True, recording_url=o.recording_url, **facts
                ),
                **envelope,
            )


def flagged(event: LifecycleEvent, block_reason: str | None) -> LifecycleEvent:
    """`event` marked as a call from a blocked caller (unchanged when `block_reason` is None)."""
    if block_reason is None:
        return event
    payload = event.payload.model_copy(update={"blocked": True, "block_reason": block_reason})
    return event.model_copy(update={"payload": payload})


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def ring_and_talk(
    *,
    initiated: datetime | None,
    answered: datetime | None,
    bridged: datetime | None,
    ended: datetime | None,
    outcome: CallOutcome | None = None,
) -> tuple[int | None, int | None]:
    """Ring and talk seconds from the moments of a call (None: not known from what we were told).

    ring = first of answered/bridged - initiated; a call that ended unanswered rang until it ended.
    talk = ended - bridged (else answered); 0 for a call that ended unanswered.
    """
    connected = min((m for m in (answered, bridged) if m is not None), default=None)
    unanswered_end = ended is not None and connected is None and outcome not in (None, CallOutcome.ANSWERED)
    until = ended if unanswered_end else connected
    ring = _seconds(initiated, until) if initiated is not None and until is not None else None
    if unanswered_end:
        return ring, 0
    talk_from = bridged or connected
    talk = _seconds(talk_from, ended) if talk_from is not None and ended is not None else None
    return ring, talk


# --- the forwarded leg's outcome, per provider ------------------------------------------------

_TWILIO_DIAL = {
    "completed": CallOutcome.ANSWERED,
    "answered": CallOutcome.ANSWERED,
    "busy": CallOutcome.BUSY,
    "no-answer": CallOutcome.MISSED,
    "failed": CallOutcome.FAILED,
    "canceled": CallOutcome.CANCELLED,
}

_TELNYX_HANGUP = {
    "normal_clearing": CallOutcome.ANSWERED,
    "time_limit": CallOutcome.ANSWERED,
    "user_busy": CallOutcome.BUSY,
    "call_rejected": CallOutcome.BUSY,
    "no_answer": CallOutcome.MISSED,
    "timeout": CallOutcome.MISSED,
    "originator_cancel": CallOutcome.CANCELLED,
    "not_found": CallOutcome.FAILED,
    "unspecified": CallOutcome.FAILED,
}

_ZADARMA_DISPOSITION = {
    "answered": CallOutcome.ANSWERED,
    "busy": CallOutcome.BUSY,
    "cancel": CallOutcome.CANCELLED,
    "no answer": CallOutcome.MISSED,
}


def outcome_of_twilio_dial(dial_call_status: str) -> CallOutcome:
    """Twilio `DialCallStatus` (the dialled leg): completed|answered|busy|no-answer|failed|canceled."""
    return _TWILIO_DIAL.get(dial_call_status, CallOutcome.FAILED)


def outcome_of_telnyx_hangup(hangup_cause: str) -> CallOutcome:
    """Telnyx `hangup_cause` of the forwarded (bridged) leg; normal_clearing means it was answered."""
    return _TELNYX_HANGUP.get(hangup_cause, CallOutcome.FAILED)


def outcome_of_zadarma_disposition(disposition: str) -> CallOutcome:
    """Zadarma `disposition` (the forwarded call's): anything else (no money, limits...) is a failure."""
    return _ZADARMA_DISPOSITION.get(disposition, CallOutcome.FAILED)
