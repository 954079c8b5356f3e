"""The TwiML answers: forward to the business number with progress callbacks, or refuse."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from call_ingest.adapters.twiml import empty_response, forward_call, reject_call, status_callback_url

BASE = "http://127.0.0.1:8103"


def test_a_forwarded_call_dials_the_business_number_with_the_caller_id_and_progress_callbacks() -> None:
    callback = status_callback_url(BASE, "+14155550101", 1749556800000)
    root = ElementTree.fromstring(
        forward_call(caller_id="+14158675310", business_number="+14155550000", status_callback=callback)
    )
    dial = root.find("Dial")
    number = root.find("Dial/Number")
    assert root.tag == "Response" and dial is not None and number is not None
    assert dial.get("callerId") == "+14158675310"
    assert dial.get("answerOnBridge") == "true"
    assert number.text == "+14155550000"
    assert number.get("statusCallbackEvent") == "initiated ringing answered completed"
    assert number.get("statusCallbackMethod") == "POST"
    assert number.get("statusCallback") == callback


def test_the_status_callback_url_carries_the_tracking_number_and_the_call_start() -> None:
    url = status_callback_url(BASE, "+14155550101", 1749556800000)
    assert url.startswith(f"{BASE}/v1/telephony/twilio/status?tracking_number=%2B14155550101")
    assert parse_qs(urlsplit(url).query) == {
        "tracking_number": ["+14155550101"],
        "started_at": ["1749556800000"],
    }


def test_a_refused_call_is_rejected() -> None:
    root = ElementTree.fromstring(reject_call())
    assert [child.tag for child in root] == ["Reject"]


def test_a_status_callback_gets_an_empty_response() -> None:
    assert list(ElementTree.fromstring(empty_response())) == []
