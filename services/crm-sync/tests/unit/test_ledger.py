"""The ledger sends each call version once per endpoint, and never one older than a delivered one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_sync.domain.ledger import Decision, DeliveryLedger, abandoned, delivered
from crm_sync.domain.signing import webhook_id_for
from ctrack_common.events import (
    CallAttributed,
    CallAttributedPayload,
    CallFacts,
    CallStatus,
    Classification,
    event_id_for,
)

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
CALL_ID = "twilio:CA1"


def attributed(version: int, call_id: str = CALL_ID) -> CallAttributed:
    facts = CallFacts(
        call_id=call_id,
        provider="twilio",
        provider_call_id=call_id.removeprefix("twilio:"),
        caller_number="+14158675310",
        tracking_number="+14155550101",
        started_at=NOW,
        status=CallStatus.RINGING,
    )
    return CallAttributed(
        event_id=event_id_for(call_id, version),
        occurred_at=NOW,
        recorded_at=NOW,
        tenant_id="tenant-a",
        site_id="site-a",
        payload=CallAttributedPayload(
            call_id=call_id,
            version=version,
            call=facts,
            classification=Classification.UNATTRIBUTED,
            confidence=0.0,
            first_time_caller=True,
        ),
    )


def deliver(ledger: DeliveryLedger, version: int, endpoint: str = "ep_1") -> None:
    ledger.record(delivered(attributed(version), endpoint, attempts=1, status_code=204, at=NOW))


@pytest.mark.parametrize(
    ("delivered_versions", "incoming", "decision"),
    [
        ([], 1, Decision.DELIVER),
        ([1], 1, Decision.ALREADY_DELIVERED),
        ([1], 2, Decision.DELIVER),
        ([2], 1, Decision.SUPERSEDED),
        ([3, 1], 2, Decision.SUPERSEDED),
        ([1, 3], 3, Decision.ALREADY_DELIVERED),
    ],
)
def test_a_version_is_delivered_unless_it_or_a_newer_one_was(
    delivered_versions: list[int], incoming: int, decision: Decision
) -> None:
    ledger = DeliveryLedger()
    for version in delivered_versions:
        deliver(ledger, version)
    assert ledger.decide("ep_1", CALL_ID, incoming) is decision


def test_each_endpoint_and_call_has_its_own_history() -> None:
    ledger = DeliveryLedger()
    deliver(ledger, 2)
    assert ledger.decide("ep_2", CALL_ID, 1) is Decision.DELIVER
    assert ledger.decide("ep_1", "twilio:CA9", 1) is Decision.DELIVER


def test_an_abandoned_version_is_dead_lettered_again_not_retried_and_a_later_success_clears_it() -> None:
    ledger = DeliveryLedger()
    gave_up = abandoned(attributed(1), "ep_1", attempts=7, status_code=503, reason="gave up", at=NOW)
    ledger.record(gave_up)
    assert ledger.decide("ep_1", CALL_ID, 1) is Decision.ALREADY_ABANDONED
    assert ledger.abandon_reason(webhook_id_for("ep_1", CALL_ID, 1)) == "gave up"
    deliver(ledger, 1)
    assert ledger.decide("ep_1", CALL_ID, 1) is Decision.ALREADY_DELIVERED


def test_outcomes_carry_the_webhook_id_and_a_deterministic_event_id() -> None:
    outcome = delivered(attributed(3), "ep_1", attempts=2, status_code=200, at=NOW)
    assert outcome.payload.webhook_id == webhook_id_for("ep_1", CALL_ID, 3)
    assert outcome.event_id == delivered(attributed(3), "ep_1", attempts=5, status_code=200, at=NOW).event_id
    assert (outcome.tenant_id, outcome.payload.version, outcome.payload.attempts) == ("tenant-a", 3, 2)


@given(st.lists(st.integers(min_value=1, max_value=6), max_size=30))
def test_whatever_order_versions_arrive_in_an_endpoint_receives_a_strictly_rising_sequence(
    arrivals: list[int],
) -> None:
    ledger = DeliveryLedger()
    sent = []
    for version in arrivals:
        if ledger.decide("ep_1", CALL_ID, version) is Decision.DELIVER:
            deliver(ledger, version)
            sent.append(version)
    assert sent == sorted(set(sent))
    assert (max(arrivals) in sent) if arrivals else sent == []
