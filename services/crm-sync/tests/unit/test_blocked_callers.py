"""Calls from blocked callers never reach a CRM, whichever of the two signals says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_sync.domain.blocked_callers import from_blocked_caller
from ctrack_common.events import (
    CallAttributed,
    CallAttributedPayload,
    CallFacts,
    CallStatus,
    Classification,
    event_id_for,
)

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def attributed(classification: Classification, *, flagged: bool) -> CallAttributed:
    facts = CallFacts(
        call_id="twilio:CA1",
        provider="twilio",
        provider_call_id="CA1",
        caller_number="+14158675399",
        tracking_number="+14155550101",
        started_at=NOW,
        status=CallStatus.COMPLETED,
        blocked=flagged,
        block_reason="robocall" if flagged else None,
    )
    return CallAttributed(
        event_id=event_id_for("twilio:CA1", 1),
        occurred_at=NOW,
        recorded_at=NOW,
        tenant_id="tenant-a",
        payload=CallAttributedPayload(
            call_id="twilio:CA1",
            version=1,
            call=facts,
            classification=classification,
            confidence=1.0,
            first_time_caller=True,
        ),
    )


@pytest.mark.parametrize(
    ("classification", "flagged", "kept_out"),
    [
        (Classification.BLOCKED, False, True),
        (Classification.DYNAMIC, True, True),  # flagged by call-ingest, attributed before the rule existed
        (Classification.BLOCKED, True, True),
        (Classification.DYNAMIC, False, False),
        (Classification.UNATTRIBUTED, False, False),
    ],
)
def test_a_call_is_kept_out_of_crms_when_classified_blocked_or_flagged_blocked(
    classification: Classification, *, flagged: bool, kept_out: bool
) -> None:
    assert from_blocked_caller(attributed(classification, flagged=flagged)) is kept_out
