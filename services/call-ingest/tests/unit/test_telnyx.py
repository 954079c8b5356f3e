"""Telnyx: Ed25519 signatures made with pynacl as Telnyx signs, the replay window, event parsing."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from call_ingest.adapters import telnyx
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.adapters.telnyx_commands import TelnyxCommands
from call_ingest.entrypoints.recorder import CallRecorder
from call_ingest.entrypoints.telnyx_webhooks import EVENTS_PATH, TelnyxWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallOutcome, CallStarted, CallStatusChanged

KEY = SigningKey.generate()
PUBLIC = base64.b64encode(bytes(KEY.verify_key)).decode()
WINDOW = timedelta(minutes=5)
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def telnyx_sign(key: SigningKey, timestamp: str, body: bytes) -> str:
    """As Telnyx does: Ed25519 over `timestamp|body`, base64."""
    return base64.b64encode(key.sign(f"{timestamp}|".encode() + body).signature).decode()


def test_a_body_signed_with_the_account_key_within_the_window_is_accepted() -> None:
    ts = str(int(NOW.timestamp()))
    body = b'{"data": {}}'
    telnyx.verify(
        PUBLIC, body, timestamp=ts, signature_b64=telnyx_sign(KEY, ts, body), now=NOW, tolerance=WINDOW
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("other key", 403),
        ("tampered body", 403),
        ("timestamp changed", 403),
        ("too old", 403),
        ("too far ahead", 403),
        ("missing signature", 401),
        ("not base64", 403),
    ],
)
def test_a_forged_stale_or_missing_signature_is_refused(case: str, status: int) -> None:
    ts, body = str(int(NOW.timestamp())), b'{"data": {}}'
    signature: str | None = telnyx_sign(KEY, ts, body)
    now = NOW
    match case:
        case "other key":
            signature = telnyx_sign(SigningKey.generate(), ts, body)
        case "tampered body":
            body = b'{"data": {"x": 1}}'
        case "timestamp changed":
            ts = str(int(NOW.timestamp()) + 1)
        case "too old":
            now = NOW + timedelta(minutes=5, seconds=1)
        case "too far ahead":
            now = NOW - timedelta(minutes=5, seconds=1)
        case "missing signature":
            signature = None
        case "not base64":
            signature = "%%%"
    with pytest.raises(SignatureRejected) as rejected:
        telnyx.verify(PUBLIC, body, timestamp=ts, signature_b64=signature, now=now, tolerance=WINDOW)
    assert rejected.value.status == status


def event(event_type: str, **payload: Any) -> dict[str, Any]:
    base = {"call_control_id": "v3:cc", "call_leg_id": "leg-1", "call_session_id": "sess-1"}
    return {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": f"evt-{event_type}-{payload.get('direction', '')}",
            "occurred_at": "2025-06-10T12:00:05.000000Z",
            "payload": {**base, **payload},
        }
    }


def client_state(number: str) -> str:
    return base64.b64encode(json.dumps({"tracking_number": number}).encode()).decode()


@pytest.fixture
def post(config: ConfigView, events: Any, client_for: Any) -> Any:
    client = client_for(
        TelnyxWebhooks(
            public_key=PUBLIC,
            tolerance=WINDOW,
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
        ).router()
    )

    def send(body: dict[str, Any], key: SigningKey = KEY) -> Any:
        raw = json.dumps(body).encode()
        ts = str(int(time.time()))
        headers = {telnyx.TIMESTAMP_HEADER: ts, telnyx.SIGNATURE_HEADER: telnyx_sign(key, ts, raw)}
        return client.request("POST", EVENTS_PATH, content=raw, headers=headers)

    return send


def test_the_inbound_legs_initiated_event_starts_the_call_at_the_providers_start_time(
    post: Any, events: Any, sample: Any
) -> None:
    body = event(
        "call.initiated",
        direction="incoming",
        to=sample.pool_number,
        start_time="2025-06-10T12:00:00Z",
        **{"from": "+14158675310"},
    )
    assert post(body).status_code == 200
    assert post(body).status_code == 200  # delivered twice
    assert [type(e) for e in events] == [CallStarted, CallStarted]
    assert events[0].event_id == events[1].event_id
    facts = events[0].payload
    assert (facts.call_id, facts.tracking_number, facts.caller_number) == (
        "telnyx:sess-1",
        sample.pool_number,
        "+14158675310",
    )
    assert facts.started_at == datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
    assert (events[0].tenant_id, events[0].site_id) == (sample.tenant, sample.site)


@pytest.mark.parametrize(
    ("cause", "outcome", "answered"),
    [
        ("normal_clearing", CallOutcome.ANSWERED, True),
        ("no_answer", CallOutcome.MISSED, False),
        ("user_busy", CallOutcome.BUSY, False),
        ("originator_cancel", CallOutcome.CANCELLED, False),
    ],
)
def test_the_forwarded_legs_hangup_ends_the_call_with_its_outcome(
    post: Any, events: Any, sample: Any, *, cause: str, outcome: CallOutcome, answered: bool
) -> None:
    body = event(
        "call.hangup",
        direction="outgoing",
        to=sample.business,
        client_state=client_state(sample.pool_number),
        hangup_cause=cause,
        **{"from": "+14158675310"},
    )
    assert post(body).status_code == 200
    [ended] = events
    assert isinstance(ended, CallStatusChanged)
    assert (ended.payload.outcome, ended.payload.answered, ended.payload.tracking_number) == (
        outcome,
        answered,
        sample.pool_number,
    )


def test_the_inbound_legs_hangup_and_outgoing_initiated_record_nothing(
    post: Any, events: Any, sample: Any
) -> None:
    inbound_hangup = event(
        "call.hangup", direction="incoming", to=sample.pool_number, hangup_cause="normal_clearing"
    )
    forwarded_initiated = event(
        "call.initiated",
        direction="outgoing",
        to=sample.business,
        client_state=client_state(sample.pool_number),
    )
    assert post(inbound_hangup).status_code == 200
    assert post(forwarded_initiated).status_code == 200
    assert events == []


def test_bridging_marks_the_call_answered(post: Any, events: Any, sample: Any) -> None:
    assert post(event("call.bridged", to=sample.pool_number)).status_code == 200
    [answered] = events
    assert (answered.payload.status.value, answered.payload.answered) == ("in-progress", True)


def test_a_bad_signature_is_403_and_a_missing_one_401_and_nothing_is_recorded(
    post: Any, events: Any, sample: Any, config: ConfigView, client_for: Any
) -> None:
    body = event("call.initiated", direction="incoming", to=sample.pool_number)
    assert post(body, key=SigningKey.generate()).status_code == 403
    unsigned = client_for(
        TelnyxWebhooks(
            public_key=PUBLIC,
            tolerance=WINDOW,
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
        ).router()
    ).request("POST", EVENTS_PATH, json=body)
    assert unsigned.status_code == 401
    assert events == []


def test_a_payload_without_a_session_is_422_naming_the_field(post: Any, events: Any) -> None:
    body = event("call.initiated")
    del body["data"]["payload"]["call_session_id"]
    response = post(body)
    assert response.status_code == 422
    assert "call_session_id" in response.text
    assert events == []


def test_a_call_to_a_number_nobody_owns_is_acknowledged_and_not_recorded(
    post: Any, events: Any, sample: Any
) -> None:
    assert post(event("call.initiated", direction="incoming", to=sample.unknown_number)).status_code == 200
    assert events == []


class TelnyxApi:
    """Stand-in for Telnyx's command API: records commands, answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"data": {"result": "ok"}})


def forwarding_client(config: ConfigView, events: Any, client_for: Any, api: TelnyxApi) -> Any:
    commands = TelnyxCommands(
        api_base="https://api.telnyx.test/v2",
        api_key="KEY123",
        timeout_seconds=2,
        transport=httpx.MockTransport(api.handle),
    )
    return client_for(
        TelnyxWebhooks(
            public_key=PUBLIC,
            tolerance=WINDOW,
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
            commands=commands,
        ).router()
    )


def signed(body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    return {
        "content": raw,
        "headers": {telnyx.TIMESTAMP_HEADER: ts, telnyx.SIGNATURE_HEADER: telnyx_sign(KEY, ts, raw)},
    }


def test_a_ringing_number_is_transferred_to_the_business_with_our_client_state(
    config: ConfigView, events: Any, client_for: Any, sample: Any
) -> None:
    api = TelnyxApi()
    client = forwarding_client(config, events, client_for, api)
    body = event("call.initiated", direction="incoming", to=sample.pool_number, **{"from": "+14158675310"})
    assert client.request("POST", EVENTS_PATH, **signed(body)).status_code == 200
    assert client.request("POST", EVENTS_PATH, **signed(body)).status_code == 200
    first, again = api.requests
    assert str(first.url) == "https://api.telnyx.test/v2/calls/v3:cc/actions/transfer"
    assert first.headers["authorization"] == "Bearer KEY123"
    command = json.loads(first.content)
    assert command["to"] == sample.business
    assert telnyx.client_state_number(command["client_state"]) == sample.pool_number
    assert command["command_id"] == json.loads(again.content)["command_id"] == str(events[0].event_id)


def test_a_transfer_telnyx_refuses_is_503_so_telnyx_redelivers_and_nothing_is_recorded(
    config: ConfigView, events: Any, client_for: Any, sample: Any
) -> None:
    client = forwarding_client(config, events, client_for, TelnyxApi(status=500))
    body = event("call.initiated", direction="incoming", to=sample.pool_number)
    assert client.request("POST", EVENTS_PATH, **signed(body)).status_code == 503
    assert events == []


def test_a_number_without_site_is_recorded_but_not_transferred(
    config: ConfigView, events: Any, client_for: Any, sample: Any
) -> None:
    api = TelnyxApi()
    client = forwarding_client(config, events, client_for, api)
    body = event("call.initiated", direction="incoming", to=sample.orphan_number)
    assert client.request("POST", EVENTS_PATH, **signed(body)).status_code == 200
    assert api.requests == [] and [e.payload.tracking_number for e in events] == [sample.orphan_number]


def at(seconds: int) -> str:
    return f"2025-06-10T12:00:{seconds:02d}Z"


def timed_event(event_type: str, occurred: int, **payload: Any) -> dict[str, Any]:
    body = event(event_type, **payload)
    body["data"]["occurred_at"] = at(occurred)
    body["data"]["id"] = f"evt-{event_type}-{payload.get('direction', '')}-{occurred}"
    return body


def test_ring_and_talk_seconds_come_from_initiated_bridged_and_hangup_times(
    post: Any, events: Any, sample: Any
) -> None:
    """initiated 12:00:00, forwarded leg bridged 12:00:07, hung up 12:00:52: 7 s ringing, 45 s talking."""
    state = client_state(sample.pool_number)
    forwarded = {"direction": "outgoing", "to": sample.business, "client_state": state}
    initiated = timed_event(
        "call.initiated",
        0,
        direction="incoming",
        to=sample.pool_number,
        start_time=at(0),
        **{"from": "+1415"},
    )
    hangup = timed_event("call.hangup", 53, hangup_cause="normal_clearing", end_time=at(52), **forwarded)
    for body in (initiated, timed_event("call.bridged", 7, **forwarded), hangup, hangup):
        assert post(body).status_code == 200
    started, answered, ended, ended_again = events
    assert answered.payload.ring_seconds == 7
    assert (ended.payload.ring_seconds, ended.payload.talk_seconds, ended.payload.outcome) == (
        7,
        45,
        CallOutcome.ANSWERED,
    )
    assert ended.payload.started_at == started.payload.started_at == datetime(2025, 6, 10, 12, tzinfo=UTC)
    assert ended.occurred_at == datetime(2025, 6, 10, 12, 0, 52, tzinfo=UTC)
    assert ended_again.event_id == ended.event_id and ended_again.payload == ended.payload


def test_a_call_nobody_answered_rang_until_it_ended_and_talked_for_no_time(
    post: Any, events: Any, sample: Any
) -> None:
    forwarded = {
        "direction": "outgoing",
        "to": sample.business,
        "client_state": client_state(sample.pool_number),
    }
    initiated = timed_event(
        "call.initiated", 0, direction="incoming", to=sample.pool_number, start_time=at(0)
    )
    assert post(initiated).status_code == 200
    assert post(timed_event("call.hangup", 30, hangup_cause="no_answer", **forwarded)).status_code == 200
    ended = events[-1]
    assert (ended.payload.ring_seconds, ended.payload.talk_seconds, ended.payload.outcome) == (
        30,
        0,
        CallOutcome.MISSED,
    )


def test_a_hangup_whose_earlier_webhooks_this_process_never_saw_has_no_ring_or_talk_time(
    post: Any, events: Any, sample: Any
) -> None:
    forwarded = {
        "direction": "outgoing",
        "to": sample.business,
        "client_state": client_state(sample.pool_number),
    }
    assert (
        post(timed_event("call.hangup", 30, hangup_cause="normal_clearing", **forwarded)).status_code == 200
    )
    [ended] = events
    assert (ended.payload.ring_seconds, ended.payload.talk_seconds) == (None, None)


def test_a_blocked_caller_is_transferred_and_the_forwarded_legs_events_are_flagged_too(
    blocked_config: ConfigView, events: Any, client_for: Any, sample: Any
) -> None:
    api = TelnyxApi()
    client = forwarding_client(blocked_config, events, client_for, api)
    initiated = event(
        "call.initiated", direction="incoming", to=sample.pool_number, **{"from": sample.spammer}
    )
    assert client.request("POST", EVENTS_PATH, **signed(initiated)).status_code == 200
    [transfer] = api.requests
    state = json.loads(transfer.content)["client_state"]
    assert telnyx.client_state_caller(state) == sample.spammer
    hangup = event(
        "call.hangup",
        direction="outgoing",
        to=sample.business,
        client_state=state,
        hangup_cause="normal_clearing",
    )
    assert client.request("POST", EVENTS_PATH, **signed(hangup)).status_code == 200
    started, ended = events
    assert ended.payload.caller_number == sample.spammer
    assert [(e.payload.blocked, e.payload.block_reason) for e in (started, ended)] == [(True, "robocall")] * 2


@pytest.mark.parametrize(("record_calls", "record"), [(True, "record-from-answer"), (False, None)])
def test_the_transfer_records_only_for_sites_configured_to_record(
    config: ConfigView,
    events: Any,
    client_for: Any,
    sample: Any,
    set_recording: Any,
    *,
    record_calls: bool,
    record: str | None,
) -> None:
    set_recording(record_calls)
    api = TelnyxApi()
    client = forwarding_client(config, events, client_for, api)
    body = event("call.initiated", direction="incoming", to=sample.pool_number)
    assert client.request("POST", EVENTS_PATH, **signed(body)).status_code == 200
    assert json.loads(api.requests[0].content).get("record") == record
