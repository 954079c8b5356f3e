"""One tenant can never see or change another's sites, numbers, calls or reports."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from ctrack_stack.testing import wait_until
from support.system import TWILIO_AUTH_TOKEN, System, Tenant, create_tenant
from support.twilio_client import TwilioWebhookClient


def test_every_rest_call_needs_a_valid_tenant_api_key(system: System) -> None:
    for url in (
        f"{system.allocator.url}/v1/sites",
        f"{system.allocator.url}/v1/numbers",
        f"{system.attribution.url}/v1/reports/calls-by-source?from=2026-01-01&to=2026-01-02",
        f"{system.crm_sync.url}/v1/webhook-endpoints",
    ):
        assert httpx.get(url).status_code == 401, url
        assert httpx.get(url, headers={"Authorization": "Bearer ck_live_forged"}).status_code == 401, url


def test_a_tenant_cannot_see_or_change_another_tenants_configuration(system: System, tenant: Tenant) -> None:
    other = create_tenant(system)
    allocator = system.allocator.url
    assert httpx.get(f"{allocator}/v1/sites/{tenant.site_id}", headers=other.auth).status_code == 404
    listed = httpx.get(f"{allocator}/v1/sites", headers=other.auth).json()
    assert tenant.site_id not in {site["site_id"] for site in listed["items"]}
    numbers = httpx.get(f"{allocator}/v1/numbers", headers=other.auth).json()
    assert not set(tenant.pool_numbers) & {n["number"] for n in numbers["items"]}
    stolen = httpx.post(
        f"{allocator}/v1/numbers",
        json={
            "number": tenant.pool_numbers[0],
            "provider": "twilio",
            "role": "pool",
            "site_id": other.site_id,
        },
        headers=other.auth,
    )
    assert stolen.status_code == 409, stolen.text
    into_foreign_site = httpx.post(
        f"{allocator}/v1/numbers",
        json={
            "number": other.pool_numbers[0],
            "provider": "twilio",
            "role": "pool",
            "site_id": tenant.site_id,
        },
        headers=other.auth,
    )
    assert into_foreign_site.status_code == 404, into_foreign_site.text
    assert (
        httpx.delete(f"{allocator}/v1/numbers/{tenant.pool_numbers[0]}", headers=other.auth).status_code
        == 404
    )


def test_a_tenant_cannot_see_another_tenants_calls_or_reports(system: System, tenant: Tenant) -> None:
    other = create_tenant(system)
    call_sid = "CA" + uuid.uuid4().hex
    twilio = TwilioWebhookClient(system.ingest.url, TWILIO_AUTH_TOKEN)
    assert twilio.incoming_call(call_sid, "+14155550199", tenant.pool_numbers[1]).status_code == 200
    call_url = f"{system.attribution.url}/v1/calls/twilio:{call_sid}"
    wait_until(
        lambda: httpx.get(call_url, headers=tenant.auth).status_code == 200,
        timeout=90,  # nobody leased the number: the answer comes once the join's grace has passed
        what="the owner to see its call",
    )
    assert httpx.get(call_url, headers=other.auth).status_code == 404
    today = datetime.now(UTC).date()
    span = {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    theirs = httpx.get(
        f"{system.attribution.url}/v1/reports/calls-by-source", params=span, headers=other.auth
    )
    assert theirs.status_code == 200
    assert theirs.json()["totals"]["calls"] == 0
    ours = httpx.get(f"{system.attribution.url}/v1/reports/calls-by-source", params=span, headers=tenant.auth)
    assert ours.json()["totals"]["calls"] >= 1
