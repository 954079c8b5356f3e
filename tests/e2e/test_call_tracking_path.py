"""End to end: a visit gets a number, a call to it is attributed to the visit, reported, and delivered.

Every hop is real: the services as OS processes, the Kafka broker, ClickHouse, a Twilio webhook
signed by Twilio's SDK, and a webhook receiver verifying signatures with the Standard Webhooks
reference library.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from ctrack_stack.testing import wait_until
from support.system import BROWSER_USER_AGENT, TWILIO_AUTH_TOKEN, System, Tenant
from support.twilio_client import TwilioWebhookClient
from support.webhook_receiver import WebhookReceiver

DEADLINE = 60


def visit(system: System, tenant: Tenant, url: str, visitor_id: str | None = None) -> httpx.Response:
    return httpx.post(
        f"{system.tracker.url}/v1/visits",
        json={
            "site_key": tenant.site_key,
            "visitor_id": visitor_id or f"visitor-{uuid.uuid4().hex}",
            "url": url,
            "referrer": "https://news.example/today",
            "user_agent": BROWSER_USER_AGENT,
        },
        headers={"User-Agent": BROWSER_USER_AGENT},
        timeout=30,
    )


def report(system: System, tenant: Tenant) -> dict:
    today = datetime.now(UTC).date()
    response = httpx.get(
        f"{system.attribution.url}/v1/reports/calls-by-source",
        params={
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        },
        headers=tenant.auth,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def rows_for(body: dict, source: str) -> list[dict]:
    return [row for row in body["rows"] if row["source"] == source]


def test_a_visit_gets_a_number_and_a_call_to_it_is_attributed_reported_and_delivered_once(
    system: System, tenant: Tenant, receiver: WebhookReceiver
) -> None:
    endpoint = httpx.post(
        f"{system.crm_sync.url}/v1/webhook-endpoints", json={"url": receiver.url}, headers=tenant.auth
    )
    assert endpoint.status_code == 201, endpoint.text
    receiver.secret = endpoint.json()["secret"]

    granted = visit(
        system, tenant, "https://shop.example/sale?utm_source=newsletter&utm_medium=email&utm_campaign=bf"
    )
    assert granted.status_code == 200, granted.text
    number = granted.json()["number"]
    assert number in tenant.pool_numbers

    twilio = TwilioWebhookClient(system.ingest.url, TWILIO_AUTH_TOKEN)
    call_sid = "CA" + uuid.uuid4().hex
    caller = "+14155550123"
    answer = twilio.incoming_call(call_sid, caller, number)
    assert answer.status_code == 200, answer.text
    assert "<Dial" in answer.text and tenant.business_number in answer.text
    status_url = re.search(r'statusCallback="([^"]+)"', answer.text)
    assert status_url is not None, answer.text
    path = status_url.group(1).replace("&amp;", "&").removeprefix(system.ingest.url)
    completed = twilio.status(
        path,
        {
            "CallSid": "CA" + uuid.uuid4().hex,
            "ParentCallSid": call_sid,
            "From": caller,
            "To": tenant.business_number,
            "CallStatus": "completed",
            "CallDuration": "42",
            "Timestamp": format_datetime(datetime.now(UTC)),
            "SequenceNumber": "3",
            "CallbackSource": "call-progress-events",
        },
    )
    assert completed.status_code in (200, 204), completed.text

    call_id = f"twilio:{call_sid}"

    def reported() -> bool:
        rows = rows_for(report(system, tenant), "newsletter")
        return bool(rows) and rows[0]["calls"] == 1 and rows[0]["answered"] == 1

    wait_until(reported, timeout=DEADLINE, what="the report to show the call under source 'newsletter'")
    [row] = rows_for(report(system, tenant), "newsletter")
    assert (row["medium"], row["campaign"], row["unique_callers"]) == ("email", "bf", 1)

    call = httpx.get(f"{system.attribution.url}/v1/calls/{call_id}", headers=tenant.auth)
    assert call.status_code == 200, call.text
    attributed = call.json()["payload"]
    assert attributed["classification"] == "dynamic"
    assert attributed["session"]["source"] == "newsletter"
    assert attributed["call"]["tracking_number"] == number
    latest_version = attributed["version"]

    wait_until(
        lambda: latest_version in receiver.versions_of(call_id),
        timeout=DEADLINE,
        what=f"the webhook receiver to get version {latest_version} of {call_id}",
    )
    versions = receiver.versions_of(call_id)
    assert versions == list(range(1, latest_version + 1)), "each call version arrives, in order, once"
    assert set(receiver.accepted.values()) == {1}, receiver.accepted
    assert receiver.rejected_signatures == 0


def test_a_wrongly_signed_twilio_webhook_is_refused_and_records_no_call(
    system: System, tenant: Tenant
) -> None:
    twilio = TwilioWebhookClient(system.ingest.url, "not-the-auth-token")
    call_sid = "CA" + uuid.uuid4().hex
    refused = twilio.incoming_call(call_sid, "+14155550123", tenant.pool_numbers[0])
    assert refused.status_code == 403
    unsigned = httpx.post(
        f"{system.ingest.url}/v1/telephony/twilio/voice",
        data={"CallSid": call_sid, "From": "+14155550123", "To": tenant.pool_numbers[0]},
    )
    assert unsigned.status_code in (401, 403)

    # A correctly signed call made afterwards is attributed; the refused one never appears. The call
    # goes to a leased number: a call that matches no lease waits for the join's grace before its answer.
    granted = visit(system, tenant, "https://shop.example/?utm_source=signature-check")
    assert granted.status_code == 200, granted.text
    good_sid = "CA" + uuid.uuid4().hex
    genuine = TwilioWebhookClient(system.ingest.url, TWILIO_AUTH_TOKEN)
    assert genuine.incoming_call(good_sid, "+14155550124", granted.json()["number"]).status_code == 200
    wait_until(
        lambda: (
            httpx.get(f"{system.attribution.url}/v1/calls/twilio:{good_sid}", headers=tenant.auth).status_code
            == 200
        ),
        timeout=DEADLINE,
        what="the genuine call to be attributed",
    )
    missing = httpx.get(f"{system.attribution.url}/v1/calls/twilio:{call_sid}", headers=tenant.auth)
    assert missing.status_code == 404
