"""Telnyx, Zadarma, the generic webhook and Twilio's Dial action against the real broker.

call-ingest runs as its own process; every provider's signed webhook, delivered twice, yields its
normalised events on `calls` exactly once; a badly signed one is refused and produces nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from nacl.signing import SigningKey
from standardwebhooks import Webhook
from twilio.request_validator import RequestValidator

from ctrack_common.events import (
    CallOutcome,
    CallRecordingAvailable,
    CallStarted,
    CallStatusChanged,
)
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import CALLS
from ctrack_stack.testing import ServiceProcess, free_port, start_service
from support.config_tenant import ConfiguredTenant as Tenant

TWILIO_TOKEN = "integration-test-auth-token"
TELNYX_KEY = SigningKey.generate()
ZADARMA_SECRET = "integration-zadarma-secret"
GENERIC_SECRET = "whsec_" + base64.b64encode(b"integration-generic-secret-00001").decode()

CallEvent = CallStarted | CallStatusChanged | CallRecordingAvailable


@pytest.fixture(scope="module")
def tenant(kafka_bootstrap: str) -> Tenant:
    tenant = Tenant()
    tenant.publish_config(EventProducer(kafka_bootstrap, "call-ingest-providers-test"))
    return tenant


class TelnyxApi(ThreadingHTTPServer):
    """Stand-in for Telnyx's command API (its published transfer contract): records what it was sent."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                server.commands.append((self.path, json.loads(self.rfile.read(length))))
                body = b'{"data": {"result": "ok"}}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def telnyx_api() -> Iterator[TelnyxApi]:
    api = TelnyxApi()
    thread = threading.Thread(target=api.serve_forever, daemon=True)
    thread.start()
    yield api
    api.shutdown()
    api.server_close()
    thread.join()


@pytest.fixture(scope="module")
def service(
    kafka_bootstrap: str, tenant: Tenant, telnyx_api: TelnyxApi, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TELNYX_PUBLIC_KEY": base64.b64encode(bytes(TELNYX_KEY.verify_key)).decode(),
        "TELNYX_API_KEY": "integration-telnyx-api-key",
        "TELNYX_API_BASE": f"http://127.0.0.1:{telnyx_api.server_address[1]}/v2",
        "ZADARMA_SECRET": ZADARMA_SECRET,
        "GENERIC_WEBHOOK_SECRET": GENERIC_SECRET,
    }
    process = start_service("call_ingest", env, Path(tmp_path_factory.mktemp("call-ingest-logs")), port=port)
    yield process
    process.stop()


def calls_of(bootstrap: str, call_id: str) -> list[CallEvent]:
    """This call's events on `calls`, up to the topic's end now."""
    events = [e for e in replay(bootstrap, CALLS) if isinstance(e, CallEvent)]
    return [e for e in events if e.payload.call_id == call_id]


def telnyx_post(
    service: ServiceProcess, body: dict[str, Any], key: SigningKey = TELNYX_KEY
) -> httpx.Response:
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    signature = base64.b64encode(key.sign(f"{ts}|".encode() + raw).signature).decode()
    headers = {
        "telnyx-timestamp": ts,
        "telnyx-signature-ed25519": signature,
        "content-type": "application/json",
    }
    return httpx.post(service.url + "/v1/telephony/telnyx/events", content=raw, headers=headers, timeout=10)


def telnyx_event(event_type: str, session: str, **payload: Any) -> dict[str, Any]:
    return {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": str(uuid.uuid4()),
            "occurred_at": datetime.now(UTC).isoformat(),
            "payload": {"call_control_id": "v3:x", "call_session_id": session, **payload},
        }
    }


def test_telnyx_events_delivered_twice_are_on_calls_once(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess, telnyx_api: TelnyxApi
) -> None:
    session = str(uuid.uuid4())
    state = base64.b64encode(json.dumps({"tracking_number": tenant.number}).encode()).decode()
    initiated = telnyx_event(
        "call.initiated", session, direction="incoming", to=tenant.number, **{"from": "+14158675310"}
    )
    hangup = telnyx_event(
        "call.hangup",
        session,
        direction="outgoing",
        to=tenant.business,
        client_state=state,
        hangup_cause="no_answer",
    )
    for body in (initiated, initiated, hangup, hangup):
        assert telnyx_post(service, body).status_code == 200
    events = calls_of(kafka_bootstrap, f"telnyx:{session}")
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged]
    assert events[1].payload.outcome is CallOutcome.MISSED
    assert {e.tenant_id for e in events} == {tenant.id}
    transfers = [body for path, body in telnyx_api.commands if body["command_id"] == str(events[0].event_id)]
    assert [t["to"] for t in transfers] == [tenant.business, tenant.business]  # Telnyx dedupes by command_id


def test_a_forged_telnyx_event_is_refused_and_produces_nothing(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    session = str(uuid.uuid4())
    body = telnyx_event("call.initiated", session, direction="incoming", to=tenant.number)
    assert telnyx_post(service, body, key=SigningKey.generate()).status_code == 403
    sentinel = str(uuid.uuid4())
    assert (
        telnyx_post(
            service, telnyx_event("call.initiated", sentinel, direction="incoming", to=tenant.number)
        ).status_code
        == 200
    )
    assert calls_of(kafka_bootstrap, f"telnyx:{sentinel}")
    assert calls_of(kafka_bootstrap, f"telnyx:{session}") == []


def zadarma_post(
    service: ServiceProcess, form: dict[str, str], secret: str = ZADARMA_SECRET
) -> httpx.Response:
    fields = (
        ("pbx_call_id", "call_id_with_rec")
        if form["event"] == "NOTIFY_RECORD"
        else ("caller_id", "called_did", "call_start")
    )
    signed = "".join(form[f] for f in fields)
    signature = base64.b64encode(
        hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest().encode()
    ).decode()
    return httpx.post(
        service.url + "/v1/telephony/zadarma/notify", data=form, headers={"Signature": signature}, timeout=10
    )


def test_zadarma_notifications_delivered_twice_are_on_calls_once(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    echo = httpx.get(service.url + "/v1/telephony/zadarma/notify", params={"zd_echo": "x1"}, timeout=10)
    assert echo.text == "x1"
    pbx_call_id = f"in_{uuid.uuid4().hex}"
    start = {
        "event": "NOTIFY_START",
        "call_start": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "pbx_call_id": pbx_call_id,
        "caller_id": "74951112233",
        "called_did": tenant.number.lstrip("+"),
    }
    end = {**start, "event": "NOTIFY_END", "disposition": "answered", "duration": "31"}
    end |= {"is_recorded": "1", "call_id_with_rec": "1749556800.1"}
    for form in (start, start):
        reply = zadarma_post(service, form)
        assert reply.status_code == 200
        assert reply.json()["rewrite_forward_number"] == tenant.business.lstrip("+")
    for form in (end, end):
        assert zadarma_post(service, form).status_code == 200
    events = calls_of(kafka_bootstrap, f"zadarma:{pbx_call_id}")
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged, CallRecordingAvailable]
    assert (events[1].payload.outcome, events[1].payload.talk_seconds) == (CallOutcome.ANSWERED, 31)
    forged = {**start, "pbx_call_id": f"in_{uuid.uuid4().hex}"}
    assert zadarma_post(service, forged, secret="forged").status_code == 403
    assert calls_of(kafka_bootstrap, f"zadarma:{forged['pbx_call_id']}") == []


def generic_post(
    service: ServiceProcess, payload: dict[str, Any], secret: str = GENERIC_SECRET
) -> httpx.Response:
    body = json.dumps(payload)
    msg_id = f"msg_{payload['call_id']}_{payload['type']}"
    now = datetime.now(UTC)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body),
        "content-type": "application/json",
    }
    return httpx.post(service.url + "/v1/telephony/generic/events", content=body, headers=headers, timeout=10)


def test_generic_webhooks_delivered_twice_are_on_calls_once(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_id = uuid.uuid4().hex
    common = {
        "call_id": call_id,
        "from": "+14158675310",
        "to": tenant.number,
        "started_at": datetime.now(UTC).isoformat(),
    }
    started = {"type": "call.started", **common}
    ended = {"type": "call.ended", "outcome": "busy", "ring_seconds": 4, **common}
    for payload in (started, started):
        assert generic_post(service, payload).json() == {
            "action": "forward",
            "number": tenant.business,
            "record": False,
        }
    for payload in (ended, ended):
        assert generic_post(service, payload).status_code == 204
    events = calls_of(kafka_bootstrap, f"generic:{call_id}")
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged]
    assert events[1].payload.outcome is CallOutcome.BUSY
    other = "whsec_" + base64.b64encode(b"someone-else-00000000000000000000").decode()
    forged = {**started, "call_id": uuid.uuid4().hex}
    assert generic_post(service, forged, secret=other).status_code == 403
    assert calls_of(kafka_bootstrap, f"generic:{forged['call_id']}") == []


def test_twilios_dial_action_delivered_twice_ends_the_call_once(
    kafka_bootstrap: str, tenant: Tenant, service: ServiceProcess
) -> None:
    call_sid = f"CA{uuid.uuid4().hex}"

    def post(path: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> httpx.Response:
        signature = RequestValidator(token).compute_signature(service.url + path, form)
        return httpx.post(
            service.url + path, data=form, headers={"X-Twilio-Signature": signature}, timeout=10
        )

    voice = {"CallSid": call_sid, "From": "+14158675310", "To": tenant.number, "CallStatus": "ringing"}
    dial = ElementTree.fromstring(post("/v1/telephony/twilio/voice", voice).text).find("Dial")
    assert dial is not None
    action = dial.get("action", "").removeprefix(service.url)
    outcome = {**voice, "CallStatus": "completed", "DialCallStatus": "no-answer", "DialCallSid": "CA2"}
    assert post(action, outcome, token="forged").status_code == 403
    assert post(action, outcome).status_code == 200
    assert post(action, outcome).status_code == 200
    events = calls_of(kafka_bootstrap, f"twilio:{call_sid}")
    assert [type(e) for e in events] == [CallStarted, CallStatusChanged]
    assert (events[1].payload.outcome, events[1].payload.answered) == (CallOutcome.MISSED, False)
