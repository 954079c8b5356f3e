"""Zadarma: the Signature as PHP's hash_hmac computes it (hex, then base64), zd_echo, routing, events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from call_ingest.adapters import zadarma
from call_ingest.entrypoints.recorder import CallRecorder
from call_ingest.entrypoints.zadarma_webhooks import NOTIFY_PATH, ZadarmaWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallOutcome, CallRecordingAvailable, CallStarted, CallStatusChanged

SECRET = "zadarma-api-secret"


def php_signature(secret: str, signed: str) -> str:
    """base64_encode(hash_hmac('sha1', $signed, $secret)): PHP's hash_hmac returns lowercase hex."""
    return base64.b64encode(hmac.new(secret.encode(), signed.encode(), "sha1").hexdigest().encode()).decode()


def test_the_signature_is_base64_of_the_hex_hmac_like_the_official_sdk() -> None:
    form = {"caller_id": "4915112345678", "called_did": "14155550101", "call_start": "2025-06-10 12:00:00"}
    expected = php_signature(SECRET, "4915112345678" + "14155550101" + "2025-06-10 12:00:00")
    raw_digest_b64 = base64.b64encode(
        hmac.new(SECRET.encode(), b"491511234567814155550101" + b"2025-06-10 12:00:00", hashlib.sha1).digest()
    ).decode()
    assert zadarma.signature_matches(SECRET, "NOTIFY_START", form, expected)
    assert zadarma.signature_matches(SECRET, "NOTIFY_END", form, expected)
    assert not zadarma.signature_matches(SECRET, "NOTIFY_START", form, raw_digest_b64)
    assert not zadarma.signature_matches("other", "NOTIFY_START", form, expected)
    assert not zadarma.signature_matches("", "NOTIFY_START", form, expected)


def test_notify_record_signs_the_pbx_call_id_and_the_recording_id() -> None:
    form = {"pbx_call_id": "in_abc", "call_id_with_rec": "1749556800.123"}
    assert zadarma.signature_matches(
        SECRET, "NOTIFY_RECORD", form, php_signature(SECRET, "in_abc1749556800.123")
    )


def test_an_event_we_do_not_know_how_to_sign_is_never_accepted() -> None:
    assert not zadarma.signature_matches(SECRET, "NOTIFY_SOMETHING", {}, php_signature(SECRET, ""))


@pytest.fixture
def client(config: ConfigView, events: Any, client_for: Any) -> Any:
    return client_for(
        ZadarmaWebhooks(
            secret=SECRET,
            timezone="Europe/Moscow",
            forward_extension="100",
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
        ).router()
    )


def notify(client: Any, form: dict[str, str], secret: str = SECRET) -> Any:
    signed = zadarma.signed_string(form["event"], form) or ""
    return client.request(
        "POST", NOTIFY_PATH, data=form, headers={"Signature": php_signature(secret, signed)}
    )


def start_form(called: str) -> dict[str, str]:
    return {
        "event": "NOTIFY_START",
        "call_start": "2025-06-10 15:00:00",
        "pbx_call_id": "in_0001",
        "caller_id": "74951112233",
        "called_did": called.lstrip("+"),
    }


def test_the_url_check_echoes_zd_echo(client: Any) -> None:
    response = client.request("GET", NOTIFY_PATH, params={"zd_echo": "abc123"})
    assert (response.status_code, response.text) == (200, "abc123")


def test_notify_start_redirects_to_the_business_number_and_starts_the_call(
    client: Any, events: Any, sample: Any
) -> None:
    response = notify(client, start_form(sample.pool_number))
    assert response.status_code == 200
    assert json.loads(response.text) == {
        "redirect": "100",
        "return_timeout": 0,
        "rewrite_forward_number": sample.business.lstrip("+"),
    }
    [started] = events
    assert isinstance(started, CallStarted)
    assert (started.payload.call_id, started.payload.tracking_number, started.payload.caller_number) == (
        "zadarma:in_0001",
        sample.pool_number,
        "+74951112233",
    )
    assert started.payload.started_at == datetime(2025, 6, 10, 12, 0, tzinfo=UTC)  # Moscow is UTC+3


@pytest.mark.parametrize(
    ("disposition", "duration", "outcome", "talk"),
    [
        ("answered", "42", CallOutcome.ANSWERED, 42),
        ("no answer", "0", CallOutcome.MISSED, 0),
        ("busy", "0", CallOutcome.BUSY, 0),
        ("cancel", "0", CallOutcome.CANCELLED, 0),
        ("no money", "0", CallOutcome.FAILED, 0),
    ],
)
def test_notify_end_ends_the_call_with_the_disposition_as_outcome(
    client: Any, events: Any, sample: Any, *, disposition: str, duration: str, outcome: CallOutcome, talk: int
) -> None:
    form = {**start_form(sample.pool_number), "event": "NOTIFY_END", "disposition": disposition}
    form |= {"duration": duration, "status_code": "16", "is_recorded": "0", "internal": "100"}
    assert notify(client, form).status_code == 200
    [ended] = events
    assert isinstance(ended, CallStatusChanged)
    assert (ended.payload.outcome, ended.payload.talk_seconds) == (outcome, talk)


def test_a_recorded_call_announces_its_recording_once_whatever_notify_record_says(
    client: Any, events: Any, sample: Any
) -> None:
    form = {
        **start_form(sample.pool_number),
        "event": "NOTIFY_END",
        "disposition": "answered",
        "duration": "5",
    }
    form |= {"is_recorded": "1", "call_id_with_rec": "1749556800.77"}
    assert notify(client, form).status_code == 200
    record = {"event": "NOTIFY_RECORD", "pbx_call_id": "in_0001", "call_id_with_rec": "1749556800.77"}
    assert notify(client, record).status_code == 200
    assert [type(e) for e in events] == [CallStatusChanged, CallRecordingAvailable]
    assert events[1].payload.recording_url == "zadarma:recording:1749556800.77"


def test_a_bad_signature_is_403_a_missing_one_401_and_nothing_is_recorded(
    client: Any, events: Any, sample: Any
) -> None:
    assert notify(client, start_form(sample.pool_number), secret="forged").status_code == 403
    assert client.request("POST", NOTIFY_PATH, data=start_form(sample.pool_number)).status_code == 401
    assert events == []


def test_a_bad_call_start_is_422_naming_it(client: Any, events: Any, sample: Any) -> None:
    form = {**start_form(sample.pool_number), "call_start": "yesterday"}
    response = notify(client, form)
    assert response.status_code == 422 and "form.call_start" in response.text
    assert events == []


def test_a_blocked_callers_call_is_still_redirected_and_its_start_and_end_are_flagged(
    config: ConfigView, events: Any, client_for: Any, sample: Any, block_event: Any
) -> None:
    config.apply(block_event("+74951112233", reason="spam"))
    client = client_for(
        ZadarmaWebhooks(
            secret=SECRET,
            timezone="Europe/Moscow",
            forward_extension="100",
            recorder=CallRecorder(config=config, publisher=events, skew=timedelta(seconds=120)),
        ).router()
    )
    started = notify(client, start_form(sample.pool_number))
    assert json.loads(started.text)["rewrite_forward_number"] == sample.business.lstrip("+")
    end = {
        **start_form(sample.pool_number),
        "event": "NOTIFY_END",
        "disposition": "answered",
        "duration": "3",
    }
    assert notify(client, end).status_code == 200
    assert [(e.payload.blocked, e.payload.block_reason) for e in events] == [(True, "spam")] * 2
