"""Twilio's <Dial action> callback: DialCallStatus (the forwarded leg) decides answered or missed."""

from __future__ import annotations

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
def post(config: ConfigView, events: Any, client_for: Any) -> Any:
    client = client_for(
        TwilioWebhooks(auth_token=TOKEN, public_base_url=BASE, config=config, publisher=events).router()
    )

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


@pytest.mark.parametrize(
    ("recorded_sites", "record"), [(frozenset({"site-a"}), "record-from-answer-dual"), (frozenset(), None)]
)
def test_calls_are_recorded_only_for_the_sites_configured_to_record(
    config: ConfigView,
    events: Any,
    client_for: Any,
    sample: Any,
    *,
    recorded_sites: frozenset[str],
    record: str | None,
) -> None:
    webhooks = TwilioWebhooks(
        auth_token=TOKEN, public_base_url=BASE, config=config, publisher=events, recorded_sites=recorded_sites
    )
    client = client_for(webhooks.router())
    voice = {"CallSid": "CA100", "From": "+14158675310", "To": sample.pool_number, "CallStatus": "ringing"}
    signature = RequestValidator(TOKEN).compute_signature(BASE + VOICE_PATH, voice)
    answer = client.request("POST", VOICE_PATH, data=voice, headers={"X-Twilio-Signature": signature})
    dial = ElementTree.fromstring(answer.text).find("Dial")
    assert dial is not None and dial.get("record") == record
