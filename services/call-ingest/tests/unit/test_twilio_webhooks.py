"""The Twilio webhooks over HTTP, with an in-memory event sink in place of Kafka."""

from __future__ import annotations

import asyncio
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from fastapi import FastAPI
from twilio.request_validator import RequestValidator

from call_ingest.entrypoints.twilio_webhooks import TwilioWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallStarted, CallStatusChanged
from ctrack_common.web import create_service_app

TOKEN = "test-auth-token"
BASE = "https://calls.example.com"
VOICE_PATH = "/v1/telephony/twilio/voice"


class RecordedEvents(list[CallStarted | CallStatusChanged]):
    def publish(self, event: CallStarted | CallStatusChanged) -> None:
        self.append(event)


@pytest.fixture
def recorded() -> RecordedEvents:
    return RecordedEvents()


class Client:
    """Posts to the app in process; the base URL differs from BASE, as behind a proxy."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def post(self, url: str, data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://internal:8103") as client:
                return await client.post(url, data=data, headers=headers)

        return asyncio.run(send())


@pytest.fixture
def client(config: ConfigView, recorded: RecordedEvents) -> Client:
    app = create_service_app(title="call-ingest", description="test", readiness=dict)
    app.include_router(
        TwilioWebhooks(auth_token=TOKEN, public_base_url=BASE, config=config, publisher=recorded).router()
    )
    return Client(app)


def signed_post(
    client: Client, path_and_query: str, form: dict[str, str], token: str = TOKEN
) -> httpx.Response:
    signature = RequestValidator(token).compute_signature(BASE + path_and_query, form)
    return client.post(path_and_query, data=form, headers={"X-Twilio-Signature": signature})


def voice_form(to: str) -> dict[str, str]:
    return {
        "CallSid": "CA100",
        "AccountSid": "AC1",
        "From": "+14158675310",
        "To": to,
        "CallStatus": "ringing",
    }


def test_a_signed_call_to_a_site_number_is_recorded_and_forwarded(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    response = signed_post(client, VOICE_PATH, voice_form(sample.pool_number))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    number = ElementTree.fromstring(response.text).find("Dial/Number")
    assert number is not None and number.text == sample.business
    assert [type(e) for e in recorded] == [CallStarted]
    assert recorded[0].payload.tracking_number == sample.pool_number


def test_the_status_callback_url_we_answer_is_accepted_when_twilio_signs_it(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    answer = signed_post(client, VOICE_PATH, voice_form(sample.pool_number))
    number = ElementTree.fromstring(answer.text).find("Dial/Number")
    assert number is not None
    callback = number.get("statusCallback", "").removeprefix(BASE)
    form = {
        "CallSid": "CA200",
        "ParentCallSid": "CA100",
        "CallStatus": "completed",
        "CallDuration": "30",
        "SequenceNumber": "3",
        "Timestamp": "Tue, 10 Jun 2025 12:01:00 +0000",
        "To": sample.business,
    }
    assert signed_post(client, callback, form).status_code == 200
    assert signed_post(client, callback, form).status_code == 200  # Twilio retried
    started, first, retried = recorded
    assert isinstance(first, CallStatusChanged)
    assert first.payload.call_id == started.payload.call_id == "twilio:CA100"
    assert first.payload.tracking_number == sample.pool_number
    assert first.payload.started_at == started.payload.started_at
    assert first.payload.answered and first.event_id == retried.event_id


def test_a_call_to_a_number_nobody_owns_is_rejected_and_not_recorded(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    response = signed_post(client, VOICE_PATH, voice_form(sample.unknown_number))
    assert response.status_code == 200
    assert [child.tag for child in ElementTree.fromstring(response.text)] == ["Reject"]
    assert recorded == []


def test_a_call_to_a_tenant_number_without_site_is_recorded_and_rejected(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    response = signed_post(client, VOICE_PATH, voice_form(sample.orphan_number))
    assert [child.tag for child in ElementTree.fromstring(response.text)] == ["Reject"]
    assert [e.tenant_id for e in recorded] == [sample.tenant]


def test_a_request_without_signature_is_unauthorized(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    response = client.post(VOICE_PATH, data=voice_form(sample.pool_number))
    assert response.status_code == 401
    assert recorded == []


def test_a_request_signed_with_another_token_is_forbidden(
    client: Client, recorded: RecordedEvents, sample: Any
) -> None:
    response = signed_post(client, VOICE_PATH, voice_form(sample.pool_number), token="not-our-token")
    assert response.status_code == 403
    assert recorded == []


def test_a_signed_request_with_a_bad_field_is_unprocessable_and_names_it(
    client: Client, recorded: RecordedEvents
) -> None:
    response = signed_post(client, VOICE_PATH, voice_form("not-a-number"))
    assert response.status_code == 422
    assert "form.To" in response.json()["error"]
    assert recorded == []
