"""Generic PBX webhook: signed with the `standardwebhooks` package, verified by our code."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from call_ingest.adapters import standard_webhooks
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.entrypoints.generic_webhooks import GENERIC_PATH, GenericWebhooks
from call_ingest.entrypoints.recorder import CallRecorder
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallOutcome, CallRecordingAvailable, CallStarted, CallStatusChanged

SECRET = "whsec_" + base64.b64encode(b"generic-webhook-test-secret-0001").decode()
WINDOW = timedelta(minutes=5)
NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def headers(
    body: str, msg_id: str = "msg_1", at: datetime | None = None, secret: str = SECRET
) -> dict[str, str]:
    at = at or datetime.now(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
    }


def test_a_signature_made_by_the_standardwebhooks_package_verifies() -> None:
    body = '{"type": "call.started"}'
    h = headers(body, at=NOW)
    standard_webhooks.verify(
        SECRET,
        body.encode(),
        msg_id=h["webhook-id"],
        timestamp=h["webhook-timestamp"],
        signatures="v1,bm90LWl0 " + h["webhook-signature"],  # rotated keys: any one matching
        now=NOW,
        tolerance=WINDOW,
    )


@pytest.mark.parametrize(
    ("case", "status"),
    [("other secret", 403), ("tampered", 403), ("stale", 403), ("future", 403), ("missing", 401)],
)
def test_a_forged_stale_or_missing_signature_is_refused(case: str, status: int) -> None:
    body = '{"type": "call.started"}'
    h = headers(
        body,
        at=NOW,
        secret=SECRET if case != "other secret" else "whsec_" + base64.b64encode(b"x" * 24).decode(),
    )
    now = {"stale": NOW + timedelta(minutes=6), "future": NOW - timedelta(minutes=6)}.get(case, NOW)
    signed_body = body + " " if case == "tampered" else body
    with pytest.raises(SignatureRejected) as rejected:
        standard_webhooks.verify(
            SECRET,
            signed_body.encode(),
            msg_id=h["webhook-id"],
            timestamp=h["webhook-timestamp"],
            signatures=None if case == "missing" else h["webhook-signature"],
            now=now,
            tolerance=WINDOW,
        )
    assert rejected.value.status == status


@pytest.fixture
def post(config: ConfigView, events: Any, client_for: Any) -> Any:
    client = client_for(
        GenericWebhooks(
            secret=SECRET,
            tolerance=WINDOW,
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
        ).router()
    )

    def send(payload: dict[str, Any], secret: str = SECRET) -> Any:
        body = json.dumps(payload)
        return client.request("POST", GENERIC_PATH, content=body, headers=headers(body, secret=secret))

    return send


def call(type_: str, to: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": type_,
        "call_id": "pbx-42",
        "from": "+14158675310",
        "to": to,
        "started_at": "2025-06-10T12:00:00Z",
        **extra,
    }


def test_call_started_answers_where_to_forward_and_records_the_call(
    post: Any, events: Any, sample: Any
) -> None:
    response = post(call("call.started", sample.pool_number))
    assert response.status_code == 200
    assert response.json() == {"action": "forward", "number": sample.business, "record": False}
    [started] = events
    assert isinstance(started, CallStarted) and started.payload.call_id == "generic:pbx-42"


def test_a_call_to_a_number_nobody_owns_is_rejected_and_not_recorded(
    post: Any, events: Any, sample: Any
) -> None:
    assert post(call("call.started", sample.unknown_number)).json() == {"action": "reject"}
    assert events == []


def test_the_lifecycle_is_recorded_with_outcome_ring_and_talk_time(
    post: Any, events: Any, sample: Any
) -> None:
    assert post(call("call.answered", sample.pool_number)).status_code == 204
    ended = call("call.ended", sample.pool_number, outcome="answered", ring_seconds=7, talk_seconds=63)
    assert post(ended).status_code == 204
    recording = call("call.recording", sample.pool_number, recording_url="https://pbx.example/r/42.mp3")
    assert post(recording).status_code == 204
    assert [type(e) for e in events] == [CallStatusChanged, CallStatusChanged, CallRecordingAvailable]
    facts = events[1].payload
    assert (facts.outcome, facts.ring_seconds, facts.talk_seconds) == (CallOutcome.ANSWERED, 7, 63)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"to": "415-555"}, "body.to"),
        ({"type": "call.exploded"}, "body.type"),
        ({"type": "call.ended"}, "body.outcome"),
        ({"started_at": "2025-06-10T12:00:00"}, "body.started_at"),
    ],
)
def test_a_bad_field_is_422_naming_it_and_nothing_is_recorded(
    post: Any, events: Any, sample: Any, payload: dict[str, Any], field: str
) -> None:
    response = post({**call("call.started", sample.pool_number), **payload})
    assert response.status_code == 422 and field in response.text
    assert events == []


def test_a_bad_signature_is_403_and_nothing_is_recorded(post: Any, events: Any, sample: Any) -> None:
    other = "whsec_" + base64.b64encode(b"someone-else-secret-000000000000").decode()
    assert post(call("call.started", sample.pool_number), secret=other).status_code == 403
    assert events == []


@pytest.mark.parametrize("record_calls", [True, False])
def test_the_forward_answer_records_as_the_site_is_configured(
    post: Any, sample: Any, set_recording: Any, record_calls: bool
) -> None:
    set_recording(record_calls)
    answer = post(call("call.started", sample.pool_number)).json()
    assert answer == {"action": "forward", "number": sample.business, "record": record_calls}


def test_a_blocked_callers_call_is_forwarded_and_flagged(
    post: Any, events: Any, sample: Any, blocked_config: ConfigView
) -> None:
    started = call("call.started", sample.pool_number, **{"from": sample.spammer})
    assert post(started).json()["action"] == "forward"
    [event] = events
    assert (event.payload.blocked, event.payload.block_reason) == (True, "robocall")
