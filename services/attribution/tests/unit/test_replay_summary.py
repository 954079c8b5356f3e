"""The replay summary: classifications of the replayed calls and how their final answers differ from live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attribution.replay import ReplayRange, summarise
from ctrack_common.events import (
    CallAttributed,
    CallAttributedPayload,
    CallFacts,
    CallStatus,
    Classification,
    event_id_for,
)

DAY = datetime(2026, 11, 2, tzinfo=UTC)
RANGE = ReplayRange(DAY, DAY + timedelta(days=1))


def answer(
    call_id: str,
    version: int,
    classification: Classification = Classification.DYNAMIC,
    *,
    lease_id: str | None = "L1",
    started_at: datetime = DAY + timedelta(hours=10),
    tenant_id: str = "acme",
    first_time: bool = True,
) -> CallAttributed:
    return CallAttributed(
        event_id=event_id_for("test", call_id, version),
        occurred_at=started_at,
        recorded_at=started_at,
        tenant_id=tenant_id,
        payload=CallAttributedPayload(
            call_id=call_id,
            version=version,
            call=CallFacts(
                call_id=call_id,
                provider="twilio",
                provider_call_id=call_id,
                caller_number="+14155550999",
                tracking_number="+14155550101",
                started_at=started_at,
                status=CallStatus.COMPLETED,
            ),
            classification=classification,
            lease_id=lease_id if classification is Classification.DYNAMIC else None,
            unattributed_reason="no_lease_at_call_time"
            if classification is Classification.UNATTRIBUTED
            else None,
            confidence=1.0 if classification is Classification.DYNAMIC else 0.0,
            first_time_caller=first_time,
        ),
    )


def test_the_same_final_answers_make_no_difference_whatever_came_before() -> None:
    live = [answer("c1", 1, Classification.UNATTRIBUTED), answer("c1", 2)]
    summary = summarise("r", [answer("c1", 1), answer("c1", 2)], live, RANGE)
    assert (summary.calls, summary.versions, summary.same_as_live, summary.differences) == (1, 2, 1, ())
    assert summary.classifications == {"dynamic": 1}


def test_a_different_classification_is_counted_as_a_change_from_live_to_replay() -> None:
    live = [answer("c1", 1, Classification.UNATTRIBUTED), answer("c2", 1)]
    replayed = [answer("c1", 1), answer("c2", 1)]
    summary = summarise("r", replayed, live, RANGE)
    assert summary.same_as_live == 1
    assert [d.call_id for d in summary.differences] == ["c1"]
    assert summary.classification_changes == {"unattributed -> dynamic": 1}
    assert summary.differing_fields["classification"] == 1
    assert summary.differing_fields["lease_id"] == 1


def test_a_difference_without_a_classification_change_names_its_fields() -> None:
    summary = summarise("r", [answer("c1", 1, lease_id="L2")], [answer("c1", 1)], RANGE)
    assert summary.classification_changes == {}
    assert summary.differences[0].fields == ("lease_id",)


def test_the_same_answer_in_a_different_number_of_versions_is_counted_apart() -> None:
    summary = summarise("r", [answer("c1", 1)], [answer("c1", 1), answer("c1", 2)], RANGE)
    assert (summary.same_as_live, summary.version_count_differs, summary.differences) == (1, 1, ())


def test_calls_answered_on_one_side_only_are_listed() -> None:
    summary = summarise("r", [answer("c1", 1)], [answer("c2", 1)], RANGE)
    assert (summary.missing_live, summary.missing_replay) == (("c1",), ("c2",))


def test_live_answers_outside_the_range_or_tenant_are_not_compared() -> None:
    selection = ReplayRange(RANGE.start, RANGE.end, tenant_id="acme")
    live = [
        answer("early", 1, started_at=DAY - timedelta(seconds=1)),
        answer("other", 1, tenant_id="globex"),
    ]
    summary = summarise("r", [], live, selection)
    assert (summary.calls, summary.missing_replay) == (0, ())


def test_throughput_is_calls_over_the_time_taken() -> None:
    summary = summarise("r", [answer("c1", 1), answer("c2", 1)], [], RANGE, {"read": 0.5, "join": 0.5})
    assert summary.calls_per_second == 2.0
    assert summarise("r", [], [], RANGE).calls_per_second == 0.0
