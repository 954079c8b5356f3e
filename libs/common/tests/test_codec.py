"""The codec turns bytes into events or says precisely why they are not one."""

from datetime import UTC, datetime

import pytest

from ctrack_common.events import (
    SessionSnapshot,
    UndecodableEvent,
    VisitStarted,
    VisitStartedPayload,
    decode,
    encode,
    event_id_for,
)
from ctrack_common.topics import CALLS, VISITS

MOMENT = datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC)


def a_visit() -> VisitStarted:
    return VisitStarted(
        event_id=event_id_for("visit", "site-1", "v-1"),
        occurred_at=MOMENT,
        recorded_at=MOMENT,
        tenant_id="t-1",
        site_id="site-1",
        payload=VisitStartedPayload(
            visit_id="v-1",
            visitor_id="visitor-1",
            pool_id="pool-1",
            page_url="https://shop.example/?utm_source=google",
            session=SessionSnapshot(source="google", medium="cpc"),
        ),
    )


def test_an_event_survives_a_round_trip_through_bytes() -> None:
    visit = a_visit()
    assert decode(encode(visit), VISITS) == visit


def test_timestamps_travel_in_utc_with_millisecond_precision() -> None:
    assert b'"occurred_at":"2026-11-25T12:00:00.123Z"' in encode(a_visit())


def test_the_same_fact_always_gets_the_same_event_id() -> None:
    assert event_id_for("visit", "site-1", "v-1") == event_id_for("visit", "site-1", "v-1")
    assert event_id_for("visit", "site-1", "v-1") != event_id_for("visit", "site-1", "v-2")


def test_fields_added_by_a_newer_producer_are_ignored() -> None:
    raw = encode(a_visit()).replace(b'"tenant_id"', b'"added_later":1,"tenant_id"')
    assert decode(raw, VISITS).tenant_id == "t-1"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, "record has no value"),
        (b"\xff\xfe not json", "value is not JSON"),
        (b"[1, 2]", "value is not a JSON object"),
        (b'{"event_type": "Nope"}', "event_type 'Nope' is not published on topic 'visits'"),
        (
            b'{"event_type": "VisitStarted", "tenant_id": "t"}',
            "invalid VisitStarted: event_id: Field required",
        ),
    ],
)
def test_bytes_that_are_not_an_event_are_refused_with_the_reason(raw: bytes | None, reason: str) -> None:
    with pytest.raises(UndecodableEvent) as refused:
        decode(raw, VISITS)
    assert reason in refused.value.reason


def test_an_event_on_the_wrong_topic_is_refused() -> None:
    with pytest.raises(UndecodableEvent, match="not published on topic 'calls'"):
        decode(encode(a_visit()), CALLS)
