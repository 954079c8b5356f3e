"""call-ingest as its own process against the real broker: signed webhooks in, call events on `calls`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ctrack_common.events import (
    CallStarted,
    CallStatusChanged,
)
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import CALLS
from ctrack_stack.testing import ServiceProcess, free_port, start_service
from support.config_tenant import ConfiguredTenant as Tenant
from support.config_tenant import random_number

TOKEN = "integration-test-auth-token"
VOICE_PATH = "/v1/telephony/twilio/voice"


@pytest.fixture(scope="module")
def tenant(kafka_bootstrap: str) -> Tenant:
    tenant = Tenant()
    tenant.publish_config(EventProducer(kafka_bootstrap, "call-ingest-test"))
    return tenant


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str, tenant: Tenant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = start_service("call_ingest", env, Path(tmp_path_factory.mktemp("call-ingest-logs")), port=port)
    yield process
    process.stop()


def post_signed(
    service: ServiceProcess, path: str, form: dict[str, str], token: str = TOKEN
) -> httpx.Response:
    signature = RequestValidator(token).compute_signature(service.url + path, form)
    return httpx.post(service.url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


CallEvent = CallStarted | CallStatusChanged


def calls_of(bootstrap: str, tenant: Tenant | None = None) -> list[CallEvent]:
    """Every event on `calls` (for this tenant), up to the topic's end now."""
    events = [e for e in replay(bootstrap, CALLS) if isinstance(e, CallStarted | CallStatusChanged)]
    return [e for e in events if tenant is None or e.tenant_id == tenant.id]


def voice_form(call_sid: str, to: str) -> dict[str, str]:
    return {
        "CallSid": call_sid,
        "AccountSid": "AC1",
        "From": "+14158675310",
        "To": to,
        "CallStatus": "ringing",
    }


def test_a_signed_call_is_forwarded_and_produces_exactly_one_call_started(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    response = post_signed(service, VOICE_PATH, voice_form(call_sid, tenant.number))
    assert response.status_code == 200
    number = ElementTree.fromstring(response.text).find("Dial/Number")
    assert number is not None and number.text == tenant.business
    started = [e for e in calls_of(kafka_bootstrap, tenant) if e.payload.call_id == f"twilio:{call_sid}"]
    assert [type(e) for e in started] == [CallStarted]
    assert (started[0].site_id, started[0].payload.tracking_number) == (tenant.site, tenant.number)

    callback = number.get("statusCallback", "").removeprefix(service.url)
    progress = {
        "CallSid": "CA2",
        "ParentCallSid": call_sid,
        "CallStatus": "completed",
        "CallDuration": "12",
        "SequenceNumber": "3",
        "Timestamp": "Tue, 10 Jun 2025 12:01:00 +0000",
        "To": tenant.business,
    }
    assert post_signed(service, callback, progress).status_code == 200
    changed = [e for e in calls_of(kafka_bootstrap, tenant) if isinstance(e, CallStatusChanged)]
    assert [(e.payload.call_id, e.payload.answered, e.payload.tracking_number) for e in changed] == [
        (f"twilio:{call_sid}", True, tenant.number)
    ]


def test_a_badly_signed_call_produces_nothing(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    forged = post_signed(service, VOICE_PATH, voice_form(call_sid, tenant.number), token="someone-else")
    unsigned = httpx.post(service.url + VOICE_PATH, data=voice_form(call_sid, tenant.number), timeout=10)
    assert (forged.status_code, unsigned.status_code) == (403, 401)
    sentinel_sid = f"CA{uuid.uuid4().hex}"
    assert post_signed(service, VOICE_PATH, voice_form(sentinel_sid, tenant.number)).status_code == 200
    seen = {e.payload.call_id for e in calls_of(kafka_bootstrap, tenant)}
    assert f"twilio:{sentinel_sid}" in seen
    assert f"twilio:{call_sid}" not in seen


def test_a_call_to_a_number_nobody_owns_is_rejected_and_produces_nothing(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    response = post_signed(service, VOICE_PATH, voice_form(call_sid, random_number()))
    assert response.status_code == 200
    assert [child.tag for child in ElementTree.fromstring(response.text)] == ["Reject"]
    assert all(e.payload.call_id != f"twilio:{call_sid}" for e in calls_of(kafka_bootstrap))


def test_a_bad_field_is_named_and_produces_nothing(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    response = post_signed(service, VOICE_PATH, voice_form(call_sid, "415-555-0101"))
    assert response.status_code == 422
    assert "form.To" in response.json()["error"]
    assert all(e.payload.call_id != f"twilio:{call_sid}" for e in calls_of(kafka_bootstrap, tenant))
