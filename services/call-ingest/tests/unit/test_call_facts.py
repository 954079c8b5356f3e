"""Twilio's forms become call facts: one table per webhook, from form fields to the CallFacts produced."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.exceptions import RequestValidationError

from call_ingest.domain.facts import call_started, call_status_changed
from call_ingest.domain.routing import CallOwner
from call_ingest.entrypoints.twilio_forms import (
    StatusCallbackForm,
    VoiceWebhookForm,
    parse_form,
    started_at_param,
    tracking_number_param,
)
from ctrack_common.events import CallStatus, event_id_for

OWNER = CallOwner("tenant-a", "site-a")
RECEIVED = datetime(2025, 6, 10, 12, 0, 5, 123456, tzinfo=UTC)
STARTED = datetime(2025, 6, 10, 12, 0, 0, tzinfo=UTC)
TRACKING = "+14155550101"
VOICE = {
    "CallSid": "CA1",
    "AccountSid": "AC1",
    "From": "+14158675310",
    "To": TRACKING,
    "CallStatus": "ringing",
}


def test_a_voice_webhook_states_that_a_call_started_when_it_was_received() -> None:
    event = call_started(parse_form(VoiceWebhookForm, list(VOICE.items())).incoming_call(), OWNER, RECEIVED)
    facts = event.payload
    assert (event.tenant_id, event.site_id) == ("tenant-a", "site-a")
    assert event.event_id == event_id_for("twilio:CA1", "started")
    assert (facts.call_id, facts.provider, facts.provider_call_id) == ("twilio:CA1", "twilio", "CA1")
    assert (facts.caller_number, facts.tracking_number, facts.status) == (
        "+14158675310",
        TRACKING,
        CallStatus.RINGING,
    )
    assert facts.started_at == event.occurred_at == datetime(2025, 6, 10, 12, 0, 5, 123000, tzinfo=UTC)
    assert not facts.answered


def test_a_retried_voice_webhook_states_the_same_event() -> None:
    call = parse_form(VoiceWebhookForm, list(VOICE.items())).incoming_call()
    later = datetime(2025, 6, 10, 12, 0, 9, tzinfo=UTC)
    assert call_started(call, OWNER, RECEIVED).event_id == call_started(call, OWNER, later).event_id


def test_an_anonymous_caller_is_kept_as_given() -> None:
    form = parse_form(VoiceWebhookForm, [*VOICE.items(), ("From", "anonymous")])
    assert form.incoming_call().caller_number == "anonymous"


TIMESTAMP = "Tue, 10 Jun 2025 12:01:00 +0000"
CALLBACK_AT = datetime(2025, 6, 10, 12, 1, tzinfo=UTC)


Expected = tuple[str, CallStatus, bool, int | None, int]  # call_id, status, answered, duration, sequence

STATUS_TABLE: list[tuple[dict[str, str], Expected]] = [
    ({"CallStatus": "initiated"}, ("twilio:CA1", CallStatus.INITIATED, False, None, 0)),
    ({"CallStatus": "ringing", "SequenceNumber": "1"}, ("twilio:CA1", CallStatus.RINGING, False, None, 1)),
    (
        {"CallStatus": "in-progress", "SequenceNumber": "2"},
        ("twilio:CA1", CallStatus.IN_PROGRESS, True, None, 2),
    ),
    ({"CallStatus": "completed", "CallDuration": "42"}, ("twilio:CA1", CallStatus.COMPLETED, True, 42, 0)),
    ({"CallStatus": "completed", "CallDuration": "0"}, ("twilio:CA1", CallStatus.COMPLETED, False, 0, 0)),
    ({"CallStatus": "no-answer", "CallDuration": "0"}, ("twilio:CA1", CallStatus.NO_ANSWER, False, 0, 0)),
    ({"CallStatus": "busy", "ParentCallSid": ""}, ("twilio:CA2", CallStatus.BUSY, False, None, 0)),
]


@pytest.mark.parametrize(
    ("form", "expected"),
    STATUS_TABLE,
    ids=["initiated", "ringing", "answered", "completed talk", "completed 0 s", "no answer", "no parent"],
)
def test_a_status_callback_states_the_calls_progress(form: dict[str, str], expected: Expected) -> None:
    fields = {
        "CallSid": "CA2",
        "ParentCallSid": "CA1",
        "Timestamp": TIMESTAMP,
        "From": "+14158675310",
        **form,
    }
    progress = parse_form(StatusCallbackForm, list(fields.items())).progress(TRACKING, RECEIVED, STARTED)
    event = call_status_changed(progress, OWNER, RECEIVED)
    facts = event.payload
    stated = (facts.call_id, facts.status, facts.answered, facts.duration_seconds, facts.sequence_number)
    assert stated == expected
    assert (facts.tracking_number, facts.started_at, event.occurred_at) == (TRACKING, STARTED, CALLBACK_AT)
    assert event.event_id == event_id_for(facts.call_id, facts.status.value, facts.sequence_number)


def test_a_status_callback_without_timestamp_or_start_happened_when_received() -> None:
    fields = [("CallSid", "CA2"), ("CallStatus", "ringing")]
    progress = parse_form(StatusCallbackForm, fields).progress(TRACKING, RECEIVED, None)
    assert progress.occurred_at == progress.started_at == RECEIVED


def problem_fields(exc: pytest.ExceptionInfo[RequestValidationError]) -> list[str]:
    return [".".join(str(part) for part in err["loc"]) for err in exc.value.errors()]


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (VoiceWebhookForm, {**VOICE, "To": "4155550101"}, "form.To"),
        (VoiceWebhookForm, {**VOICE, "To": "client:alice"}, "form.To"),
        (VoiceWebhookForm, {**VOICE, "CallStatus": "exploded"}, "form.CallStatus"),
        (VoiceWebhookForm, {k: v for k, v in VOICE.items() if k != "CallSid"}, "form.CallSid"),
        (
            StatusCallbackForm,
            {"CallSid": "CA1", "CallStatus": "completed", "CallDuration": "-1"},
            "form.CallDuration",
        ),
        (
            StatusCallbackForm,
            {"CallSid": "CA1", "CallStatus": "completed", "Timestamp": "yesterday"},
            "form.Timestamp",
        ),
    ],
)
def test_a_bad_form_field_is_named(model: Any, fields: dict[str, str], field: str) -> None:
    with pytest.raises(RequestValidationError) as exc:
        parse_form(model, list(fields.items()))
    assert problem_fields(exc) == [field]


def test_the_tracking_number_comes_from_the_callback_url_before_the_form() -> None:
    assert tracking_number_param({"tracking_number": TRACKING}, [("To", "+14155550000")]) == TRACKING
    assert tracking_number_param({}, [("To", TRACKING)]) == TRACKING


@pytest.mark.parametrize(
    ("query", "form", "field"),
    [({"tracking_number": "1"}, [], "query.tracking_number"), ({}, [("To", "client:bob")], "form.To")],
)
def test_a_bad_tracking_number_is_named_where_it_came_from(
    query: dict[str, str], form: list[tuple[str, str]], field: str
) -> None:
    with pytest.raises(RequestValidationError) as exc:
        tracking_number_param(query, form)
    assert problem_fields(exc) == [field]


def test_the_call_start_in_the_callback_url_is_unix_milliseconds() -> None:
    assert started_at_param({"started_at": "1749556800000"}) == STARTED
    assert started_at_param({}) is None
    with pytest.raises(RequestValidationError):
        started_at_param({"started_at": "noon"})
