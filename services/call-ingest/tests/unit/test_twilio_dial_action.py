"""Twilio's <Dial action> callback: DialCallStatus (the forwarded leg) decides answered or missed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from twilio.request_validator import RequestValidator

from call_ingest.entrypoints.twilio_webhooks import VOICE_PATH, TwilioWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallOutcome, CallRecordingAvailable, CallStarted, CallStatusChanged

TOKEN = "test-auth-token"
BASE = "https://calls.example.com"


@pytest.fixture
def client(config: ConfigView, events: Any, client_for: Any) -> Any:
    return client_for(
        TwilioWebhooks(auth_token=TOKEN, public_base_url=BASE, config=config, publisher=events).router()
    )


@pytest.fixture
def post(client: Any) -> Any:
    def send(path_and_query: str, form: dict[str, str], token: str = TOKEN) -> Any:
        signature = RequestValidator(token).compute_signature(BASE + path_and_query, form)
        return client.request("POST", path_and_query, data=form, headers={"X-Twilio-Signature": signature})

    return send


def dial_action(post: Any, sample: Any) -> str:
    """Ring the call; the path + query of the <Dial action> we answered."""
    voice = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "ringing"}
    dial = ElementTree.fromstring(post(VOICE_PATH, voice).text).find("Dial")
    assert dial is not None and dial.get("method") == "POST"
    return dial.get("action", "").removeprefix(BASE)


@pytest.mark.parametrize(
    ("status", "outcome", "answered"),
    [
        ("completed", CallOutcome.ANSWERED, True),
        ("answered", CallOutcome.ANSWERED, True),
        ("no-answer", CallOutcome.MISSED, False),
        ("busy", CallOutcome.BUSY, False),
        ("failed", CallOutcome.FAILED, False),
        ("canceled", CallOutcome.CANCELLED, False),
    ],
)
def test_the_dial_action_ends_the_call_with_the_forwarded_legs_outcome(
    post: Any, events: Any, sample: Any, *, status: str, outcome: CallOutcome, answered: bool
) -> None:
    action = dial_action(post, sample)
    form = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "in-progress"}
    form |= {"DialCallStatus": status, "DialCallSid": "CA200", "DialCallDuration": "25" if answered else "0"}
    response = post(action, form)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert post(action, form).status_code == 200  # Twilio retried
    started, ended, retried = events
    assert isinstance(started, CallStarted) and isinstance(ended, CallStatusChanged)
    assert (ended.payload.outcome, ended.payload.answered) == (outcome, answered)
    assert ended.payload.call_id == started.payload.call_id == "twilio:CA100"
    assert ended.payload.started_at == started.payload.started_at
    assert ended.event_id == retried.event_id


def test_a_recorded_dial_announces_its_recording(post: Any, events: Any, sample: Any) -> None:
    action = dial_action(post, sample)
    form = {
        "CallSid": "CA100",
        "To": sample.pool_number,
        "DialCallStatus": "completed",
        "DialCallDuration": "9",
    }
    form |= {"RecordingUrl": "https://api.twilio.com/rec/RE1", "RecordingSid": "RE1"}
    assert post(action, form).status_code == 200
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged, CallRecordingAvailable]
    assert events[2].payload.recording_url == "https://api.twilio.com/rec/RE1"


def test_a_forged_dial_action_is_403_and_a_bad_status_422(post: Any, events: Any, sample: Any) -> None:
    action = dial_action(post, sample)
    form = {"CallSid": "CA100", "To": sample.pool_number, "DialCallStatus": "completed"}
    assert post(action, form, token="someone-else").status_code == 403
    bad = post(action, {**form, "DialCallStatus": "exploded"})
    assert bad.status_code == 422 and "form.DialCallStatus" in bad.text
    assert [type(e) for e in events] == [CallStarted]


@pytest.mark.parametrize(("record_calls", "record"), [(True, "record-from-answer-dual"), (False, None)])
def test_calls_are_recorded_only_for_the_sites_configured_to_record(
    set_recording: Any, post: Any, sample: Any, *, record_calls: bool, record: str | None
) -> None:
    set_recording(record_calls)
    voice = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "ringing"}
    dial = ElementTree.fromstring(post(VOICE_PATH, voice).text).find("Dial")
    assert dial is not None and dial.get("record") == record
    callback = dial.get("recordingStatusCallback")
    assert (callback is not None) is record_calls
    if callback is not None:
        assert callback.startswith(f"{BASE}/v1/telephony/twilio/recording?")
        assert dial.get("recordingStatusCallbackEvent") == "completed"


def recording_callback(post: Any, set_recording: Any, sample: Any) -> str:
    """Ring a call on a recording site; the path + query of the RecordingStatusCallback we answered."""
    set_recording(True)
    voice = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "ringing"}
    dial = ElementTree.fromstring(post(VOICE_PATH, voice).text).find("Dial")
    assert dial is not None
    return dial.get("recordingStatusCallback", "").removeprefix(BASE)


RECORDING = {
    "AccountSid": "AC1",
    "CallSid": "CA100",
    "RecordingSid": "RE1",
    "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
    "RecordingStatus": "completed",
    "RecordingDuration": "42",
    "RecordingChannels": "2",
    "RecordingSource": "DialVerb",
}


def test_a_completed_recording_callback_announces_the_recording_once_per_recording(
    post: Any, events: Any, sample: Any, set_recording: Any
) -> None:
    path = recording_callback(post, set_recording, sample)
    assert post(path, RECORDING).status_code == 200
    assert post(path, RECORDING).status_code == 200  # Twilio retried
    started, available, again = events
    assert isinstance(available, CallRecordingAvailable) and available.event_id == again.event_id
    facts = available.payload
    assert (facts.call_id, facts.recording_url, facts.tracking_number, facts.caller_number) == (
        "twilio:CA100",
        RECORDING["RecordingUrl"],
        sample.pool_number,
        "+14158675310",
    )
    assert facts.started_at == started.payload.started_at


def test_the_dial_action_and_the_recording_callback_announce_one_recording_under_one_id(
    post: Any, events: Any, sample: Any, set_recording: Any
) -> None:
    path = recording_callback(post, set_recording, sample)
    action = dial_action(post, sample)
    dial = {
        "CallSid": "CA100",
        "To": sample.pool_number,
        "DialCallStatus": "completed",
        "DialCallDuration": "9",
    }
    dial |= {"RecordingUrl": RECORDING["RecordingUrl"], "RecordingSid": "RE1"}
    assert post(action, dial).status_code == 200
    assert post(path, RECORDING).status_code == 200
    recordings = [e for e in events if isinstance(e, CallRecordingAvailable)]
    assert len(recordings) == 2 and recordings[0].event_id == recordings[1].event_id


@pytest.mark.parametrize("status", ["absent", "failed", "in-progress"])
def test_a_recording_that_is_not_complete_announces_nothing(
    post: Any, events: Any, sample: Any, set_recording: Any, status: str
) -> None:
    path = recording_callback(post, set_recording, sample)
    assert post(path, {**RECORDING, "RecordingStatus": status}).status_code == 200
    assert [type(e) for e in events] == [CallStarted]


def test_a_forged_recording_callback_is_403_and_a_bad_status_422_naming_it(
    post: Any, client: Any, events: Any, sample: Any, set_recording: Any
) -> None:
    path = recording_callback(post, set_recording, sample)
    assert post(path, RECORDING, token="someone-else").status_code == 403
    tampered = path.replace("caller_number=%2B14158675310", "caller_number=%2B14155550999")
    signature = RequestValidator(TOKEN).compute_signature(BASE + path, RECORDING)
    forged = client.request("POST", tampered, data=RECORDING, headers={"X-Twilio-Signature": signature})
    assert forged.status_code == 403
    bad = post(path, {**RECORDING, "RecordingStatus": "lost"})
    assert bad.status_code == 422 and "form.RecordingStatus" in bad.text
    assert [type(e) for e in events] == [CallStarted]


def test_a_json_body_is_refused_with_415_naming_the_content_type(
    client: Any, events: Any, sample: Any
) -> None:
    voice = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "ringing"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + VOICE_PATH, {})
    response = client.request("POST", VOICE_PATH, json=voice, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 415 and "application/json" in response.text
    assert events == []


def test_a_blocked_callers_call_is_still_forwarded_and_every_event_of_it_is_flagged(
    post: Any, events: Any, sample: Any, blocked_config: ConfigView
) -> None:
    voice = {"CallSid": "CA100", "From": sample.spammer, "To": sample.pool_number, "CallStatus": "ringing"}
    answer = post(VOICE_PATH, voice)
    dial = ElementTree.fromstring(answer.text).find("Dial")
    assert dial is not None and dial.findtext("Number") == sample.business
    action = dial.get("action", "").removeprefix(BASE)
    outcome = {"CallSid": "CA100", "From": sample.spammer, "To": sample.pool_number, "DialCallStatus": "busy"}
    assert post(action, outcome).status_code == 200
    started, ended = events
    assert [(e.payload.blocked, e.payload.block_reason) for e in events] == [(True, "robocall")] * 2
    assert ended.payload.call_id == started.payload.call_id


def test_a_caller_taken_off_the_block_list_is_not_flagged(
    post: Any, events: Any, sample: Any, blocked_config: ConfigView, block_event: Any
) -> None:
    blocked_config.apply(block_event(sample.spammer, active=False, at=datetime(2025, 6, 10, 13, tzinfo=UTC)))
    voice = {"CallSid": "CA100", "From": sample.spammer, "To": sample.pool_number, "CallStatus": "ringing"}
    assert post(VOICE_PATH, voice).status_code == 200
    [started] = events
    assert (started.payload.blocked, started.payload.block_reason) == (False, None)


def test_a_block_in_another_tenant_does_not_flag_this_tenants_call(
    post: Any, events: Any, sample: Any, config: ConfigView, block_event: Any
) -> None:
    config.apply(block_event(sample.spammer, tenant="tenant-b"))
    voice = {"CallSid": "CA100", "From": sample.spammer, "To": sample.pool_number, "CallStatus": "ringing"}
    assert post(VOICE_PATH, voice).status_code == 200
    assert [e.payload.blocked for e in events] == [False]
