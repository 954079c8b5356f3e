"""The provider-independent call lifecycle: stages -> `calls` events, ids, times, outcomes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from call_ingest.domain.lifecycle import (
    CallObservation,
    Stage,
    event_for,
    outcome_of_telnyx_hangup,
    outcome_of_twilio_dial,
    outcome_of_zadarma_disposition,
    ring_and_talk,
    trusted_time,
)
from call_ingest.domain.routing import CallOwner
from ctrack_common.events import (
    CallOutcome,
    CallRecordingAvailable,
    CallStarted,
    CallStatus,
    CallStatusChanged,
    event_id_for,
)

T0 = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
SKEW = timedelta(seconds=120)
OWNER = CallOwner("tenant-a", "site-a")
STARTED = CallObservation("telnyx", "sess-1", Stage.STARTED, "+14158675310", "+14155550101", started_at=T0)


@pytest.mark.parametrize(
    ("stage", "outcome", "event_type", "status", "answered"),
    [
        (Stage.STARTED, None, CallStarted, CallStatus.RINGING, False),
        (Stage.ANSWERED, None, CallStatusChanged, CallStatus.IN_PROGRESS, True),
        (Stage.ENDED, CallOutcome.ANSWERED, CallStatusChanged, CallStatus.COMPLETED, True),
        (Stage.ENDED, CallOutcome.MISSED, CallStatusChanged, CallStatus.NO_ANSWER, False),
        (Stage.ENDED, CallOutcome.BUSY, CallStatusChanged, CallStatus.BUSY, False),
        (Stage.ENDED, CallOutcome.FAILED, CallStatusChanged, CallStatus.FAILED, False),
        (Stage.ENDED, CallOutcome.CANCELLED, CallStatusChanged, CallStatus.CANCELED, False),
        (Stage.RECORDING, None, CallRecordingAvailable, CallStatus.COMPLETED, True),
    ],
)
def test_each_stage_becomes_its_event_with_status_and_answered(
    stage: Stage, outcome: CallOutcome | None, event_type: type, status: CallStatus, answered: bool
) -> None:
    observation = replace(STARTED, stage=stage, outcome=outcome, recording_url="https://r/1")
    event = event_for(observation, OWNER, T0 + timedelta(seconds=5), SKEW)
    assert isinstance(event, event_type)
    assert (event.payload.status, event.payload.answered, event.payload.outcome) == (
        status,
        answered,
        outcome,
    )
    assert (event.tenant_id, event.site_id, event.payload.call_id) == ("tenant-a", "site-a", "telnyx:sess-1")
    assert event.payload.started_at == T0


def test_the_same_provider_event_delivered_twice_yields_the_same_event_id() -> None:
    ended = replace(STARTED, stage=Stage.ENDED, outcome=CallOutcome.MISSED)
    first = event_for(ended, OWNER, T0 + timedelta(seconds=30), SKEW)
    again = event_for(ended, OWNER, T0 + timedelta(minutes=9), SKEW)
    assert first.event_id == again.event_id == event_id_for("telnyx:sess-1", "ended")
    started = event_for(STARTED, OWNER, T0, SKEW)
    assert started.event_id == event_id_for("telnyx:sess-1", "started")
    assert len({started.event_id, first.event_id}) == 2


def test_stages_are_ordered_by_sequence_number_above_twilio_status_callbacks() -> None:
    sequences = [
        event_for(
            replace(STARTED, stage=stage, outcome=CallOutcome.ANSWERED), OWNER, T0, SKEW
        ).payload.sequence_number
        for stage in (Stage.STARTED, Stage.ANSWERED, Stage.ENDED, Stage.RECORDING)
    ]
    assert sequences == sorted(sequences) and sequences[1] > 3


@pytest.mark.parametrize(
    ("stated", "expected"),
    [
        (T0 - timedelta(minutes=30), T0 - timedelta(minutes=30)),  # the provider's earlier ringing time
        (T0 + timedelta(seconds=119), T0 + timedelta(seconds=119)),  # ahead, within the tolerance
        (T0 + timedelta(seconds=121), T0),  # ahead beyond the tolerance: receipt
        (None, T0),
    ],
)
def test_the_providers_time_is_trusted_within_the_clock_skew_tolerance(
    stated: datetime | None, expected: datetime
) -> None:
    assert trusted_time(stated, T0, SKEW) == expected


def test_the_call_time_is_the_providers_initiated_time_not_the_receipt() -> None:
    event = event_for(STARTED, OWNER, T0 + timedelta(seconds=40), SKEW)
    assert (event.payload.started_at, event.occurred_at) == (T0, T0 + timedelta(seconds=40))


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("completed", CallOutcome.ANSWERED),
        ("answered", CallOutcome.ANSWERED),
        ("busy", CallOutcome.BUSY),
        ("no-answer", CallOutcome.MISSED),
        ("failed", CallOutcome.FAILED),
        ("canceled", CallOutcome.CANCELLED),
    ],
)
def test_twilio_dial_call_status_decides_the_outcome(status: str, outcome: CallOutcome) -> None:
    assert outcome_of_twilio_dial(status) is outcome


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        ("normal_clearing", CallOutcome.ANSWERED),
        ("user_busy", CallOutcome.BUSY),
        ("call_rejected", CallOutcome.BUSY),
        ("no_answer", CallOutcome.MISSED),
        ("timeout", CallOutcome.MISSED),
        ("originator_cancel", CallOutcome.CANCELLED),
        ("not_found", CallOutcome.FAILED),
        ("something_new", CallOutcome.FAILED),
    ],
)
def test_the_telnyx_bridged_legs_hangup_cause_decides_the_outcome(cause: str, outcome: CallOutcome) -> None:
    assert outcome_of_telnyx_hangup(cause) is outcome


@pytest.mark.parametrize(
    ("disposition", "outcome"),
    [
        ("answered", CallOutcome.ANSWERED),
        ("busy", CallOutcome.BUSY),
        ("cancel", CallOutcome.CANCELLED),
        ("no answer", CallOutcome.MISSED),
        ("failed", CallOutcome.FAILED),
        ("no money", CallOutcome.FAILED),
        ("line limit", CallOutcome.FAILED),
    ],
)
def test_the_zadarma_disposition_decides_the_outcome(disposition: str, outcome: CallOutcome) -> None:
    assert outcome_of_zadarma_disposition(disposition) is outcome


def _t(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime(2025, 6, 10, 12, 0, tzinfo=UTC) + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("initiated", "answered", "bridged", "ended", "outcome", "ring", "talk"),
    [
        # answered and bridged: ring to the first of them, talk from the bridge
        (0, 8, 7, 52, CallOutcome.ANSWERED, 7, 45),
        (0, 7, None, 52, CallOutcome.ANSWERED, 7, 45),
        (0, None, 7, None, None, 7, None),  # still talking: no talk time yet
        (0, None, None, 30, CallOutcome.MISSED, 30, 0),  # rang until the caller gave up
        (None, None, 7, 52, CallOutcome.ANSWERED, None, 45),  # start unseen: ring unknown
        (0, None, None, 52, CallOutcome.ANSWERED, None, None),  # answered, but when is unknown
        (None, None, None, 30, CallOutcome.BUSY, None, 0),
        (10, None, 9, 20, CallOutcome.ANSWERED, 0, 11),  # clocks disagree: never negative
    ],
)
def test_ring_and_talk_seconds_follow_the_moments_of_the_call(
    *,
    initiated: int | None,
    answered: int | None,
    bridged: int | None,
    ended: int | None,
    outcome: CallOutcome | None,
    ring: int | None,
    talk: int | None,
) -> None:
    assert ring_and_talk(
        initiated=_t(initiated), answered=_t(answered), bridged=_t(bridged), ended=_t(ended), outcome=outcome
    ) == (ring, talk)
