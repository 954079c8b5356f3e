"""Our X-Twilio-Signature check agrees with Twilio's own SDK, the independent signer."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from twilio.request_validator import RequestValidator

from call_ingest.adapters.twilio_signature import compute_signature, signature_matches, url_variants

TOKEN = "12345abcdef"
VOICE_URL = "https://calls.example.com/v1/telephony/twilio/voice"
STATUS_URL = (
    "http://127.0.0.1:8103/v1/telephony/twilio/status?tracking_number=%2B14155550101&started_at=1749556800000"
)
Tamper = Callable[[str, dict[str, str]], tuple[str, dict[str, str]]]
VOICE_FORM = {
    "CallSid": "CA1234567890ABCDE",
    "AccountSid": "AC9876543210",
    "From": "+14158675310",
    "To": "+14155550101",
    "CallStatus": "ringing",
    "Direction": "inbound",
    "Caller": "+14158675310",
    "FromCity": "SAN FRANCISCO",
}


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (VOICE_URL, VOICE_FORM),
        (
            STATUS_URL,
            {"CallSid": "CA2", "ParentCallSid": "CA1", "CallStatus": "completed", "CallDuration": "42"},
        ),
        (VOICE_URL, {}),
        (VOICE_URL, {"Body": "héllo wörld ☎", "b": "", "a": "1", "A": "2"}),
    ],
    ids=["voice webhook", "status callback with query", "no parameters", "unicode and case-sensitive order"],
)
def test_the_signature_is_the_one_twilios_sdk_computes(url: str, params: dict[str, str]) -> None:
    expected = RequestValidator(TOKEN).compute_signature(url, params)
    assert compute_signature(TOKEN, url, params.items()) == expected
    assert signature_matches(TOKEN, url, params.items(), expected)


def test_a_signature_made_with_another_token_does_not_match() -> None:
    forged = RequestValidator("another-token").compute_signature(VOICE_URL, VOICE_FORM)
    assert not signature_matches(TOKEN, VOICE_URL, VOICE_FORM.items(), forged)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url, params: (url, {**params, "To": "+14155550102"}),
        lambda url, params: (url, {**params, "Extra": "1"}),
        lambda url, params: (url.replace("https://", "http://"), params),
        lambda url, params: (url + "?tracking_number=%2B1", params),
    ],
    ids=["changed field", "added field", "other scheme", "other query"],
)
def test_a_tampered_request_does_not_match(tamper: Tamper) -> None:
    signature = RequestValidator(TOKEN).compute_signature(VOICE_URL, VOICE_FORM)
    url, params = tamper(VOICE_URL, VOICE_FORM)
    assert not signature_matches(TOKEN, url, params.items(), signature)


def test_a_signature_over_the_url_with_its_default_port_written_out_matches() -> None:
    signature = RequestValidator(TOKEN).compute_signature("https://calls.example.com:443/v", VOICE_FORM)
    assert signature_matches(TOKEN, "https://calls.example.com/v", VOICE_FORM.items(), signature)


def test_url_variants_cover_the_url_with_and_without_its_port() -> None:
    assert url_variants("http://127.0.0.1:8103/v?x=1") == (
        "http://127.0.0.1:8103/v?x=1",
        "http://127.0.0.1/v?x=1",
    )
    assert url_variants("https://h/v") == ("https://h/v", "https://h:443/v")
