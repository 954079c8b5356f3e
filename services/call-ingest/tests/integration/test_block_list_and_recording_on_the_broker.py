"""call-ingest on the real broker, reading the block list and the site's recording setting from the
config topics: a blocked caller's call is forwarded, recorded and flagged on `calls`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ctrack_common.events import (
    CallerBlockConfigured,
    CallerBlockConfiguredPayload,
    CallRecordingAvailable,
    CallStarted,
    CallStatusChanged,
    SiteConfigured,
    SiteConfiguredPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import CALLS, CONFIG_BLOCK_LIST, CONFIG_SITES
from ctrack_stack.testing import ServiceProcess, free_port, start_service
from support.config_tenant import ConfiguredTenant as Tenant
from support.config_tenant import random_number

TOKEN = "integration-test-auth-token"
VOICE_PATH = "/v1/telephony/twilio/voice"
SPAMMER = random_number()


def block(tenant_id: str, caller: str, *, active: bool) -> CallerBlockConfigured:
    now = datetime.now(UTC)
    return CallerBlockConfigured(
        event_id=event_id_for("block", tenant_id, caller, now, active),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        payload=CallerBlockConfiguredPayload(caller_number=caller, reason="robocall", active=active),
    )


@pytest.fixture(scope="module")
def tenant(kafka_bootstrap: str) -> Tenant:
    """A tenant whose site records its calls and whose block list holds SPAMMER, all on the topics
    before call-ingest starts (it is ready only once it has read them)."""
    tenant = Tenant()
    producer = EventProducer(kafka_bootstrap, "call-ingest-block-test")
    tenant.publish_config(producer)
    now = datetime.now(UTC)
    site = SiteConfiguredPayload(
        name="Site",
        site_key=tenant.site,
        business_number=tenant.business,
        pool_id=tenant.pool,
        record_calls=True,
    )
    recorded = SiteConfigured(
        event_id=event_id_for(tenant.site, "records"),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant.id,
        site_id=tenant.site,
        payload=site,
    )
    producer.publish(CONFIG_SITES, tenant.site, recorded)
    producer.publish(
        CONFIG_BLOCK_LIST, f"{tenant.id}:{SPAMMER}", block(tenant.id, SPAMMER, active=True), wait=True
    )
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


def post_signed(service: ServiceProcess, path: str, form: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(TOKEN).compute_signature(service.url + path, form)
    return httpx.post(service.url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)


def events_of(bootstrap: str, call_id: str) -> list[CallStarted | CallStatusChanged | CallRecordingAvailable]:
    return [
        e
        for e in replay(bootstrap, CALLS)
        if isinstance(e, CallStarted | CallStatusChanged | CallRecordingAvailable)
        and e.payload.call_id == call_id
    ]


def test_a_blocked_callers_call_is_forwarded_recorded_and_flagged_on_calls(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    voice = {"CallSid": call_sid, "From": SPAMMER, "To": tenant.number, "CallStatus": "ringing"}
    answer = post_signed(service, VOICE_PATH, voice)
    dial = ElementTree.fromstring(answer.text).find("Dial")
    assert dial is not None and dial.findtext("Number") == tenant.business
    assert dial.get("record") == "record-from-answer-dual"  # the site's record_calls, from config-sites
    action = dial.get("action", "").removeprefix(service.url)
    recording = dial.get("recordingStatusCallback", "").removeprefix(service.url)
    outcome = {"CallSid": call_sid, "From": SPAMMER, "To": tenant.number, "DialCallStatus": "completed"}
    assert post_signed(service, action, {**outcome, "DialCallDuration": "4"}).status_code == 200
    status = {"CallSid": call_sid, "RecordingSid": "RE1", "RecordingStatus": "completed"}
    status |= {"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"}
    assert post_signed(service, recording, status).status_code == 200
    events = events_of(kafka_bootstrap, f"twilio:{call_sid}")
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged, CallRecordingAvailable]
    assert {(e.payload.blocked, e.payload.block_reason, e.payload.caller_number) for e in events} == {
        (True, "robocall", SPAMMER)
    }


def test_a_caller_not_on_the_block_list_is_not_flagged(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"
    voice = {"CallSid": call_sid, "From": random_number(), "To": tenant.number, "CallStatus": "ringing"}
    assert post_signed(service, VOICE_PATH, voice).status_code == 200
    [started] = events_of(kafka_bootstrap, f"twilio:{call_sid}")
    assert (started.payload.blocked, started.payload.block_reason) == (False, None)
