"""The events and HTTP traffic a benchmark sends: a bench tenant, visits, calls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from ctrack_common.events import (
    CallFacts,
    CallStarted,
    CallStatus,
    SessionSnapshot,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)

__all__ = ["BenchSite", "call_started", "create_bench_site", "visit_started"]


@dataclass(frozen=True)
class BenchSite:
    tenant_id: str
    api_key: str
    site_id: str
    site_key: str
    pool_id: str
    numbers: list[str]


def create_bench_site(
    allocator: str, admin_key: str, pool_size: int, lease_seconds: int, first_number: int = 0
) -> BenchSite:
    """A tenant, a site and `pool_size` pool numbers (the `first_number`-th bench number on: sites share none)."""
    with httpx.Client(base_url=allocator, timeout=30) as http:
        tenant = http.post(
            "/v1/tenants", json={"name": "bench"}, headers={"Authorization": f"Bearer {admin_key}"}
        )
        tenant.raise_for_status()
        auth = {"Authorization": f"Bearer {tenant.json()['api_key']}"}
        site = http.post("/v1/sites", json={"name": "bench", "business_number": "+12125550100"}, headers=auth)
        site.raise_for_status()
        site_id = site.json()["site_id"]
        numbers = [
            f"+1646{200 + i // 10000:03d}{i % 10000:04d}"
            for i in range(first_number, first_number + pool_size)
        ]
        for number in numbers:
            http.post(
                "/v1/numbers",
                json={"number": number, "provider": "twilio", "role": "pool", "site_id": site_id},
                headers=auth,
            ).raise_for_status()
        # A short hold recycles numbers at once: the bench measures speed, not the hold policy.
        pool = {"lease_seconds": lease_seconds, "hold_seconds": 1}
        http.patch(f"/v1/sites/{site_id}/pool", json=pool, headers=auth).raise_for_status()
    body = site.json()
    return BenchSite(
        tenant.json()["tenant_id"],
        tenant.json()["api_key"],
        site_id,
        body["site_key"],
        body["pool_id"],
        numbers,
    )


def visit_started(site: BenchSite, run: str, i: int) -> VisitStarted:
    now = datetime.now(UTC)
    visit_id = f"{run}-{i}"
    return VisitStarted(
        event_id=event_id_for("bench-visit", visit_id),
        occurred_at=now,
        recorded_at=now,
        tenant_id=site.tenant_id,
        site_id=site.site_id,
        payload=VisitStartedPayload(
            visit_id=visit_id,
            visitor_id=f"visitor-{visit_id}",
            pool_id=site.pool_id,
            page_url="https://bench.example/?utm_source=google&utm_medium=cpc&utm_campaign=bench",
            session=SessionSnapshot(source="google", medium="cpc", campaign="bench", user_agent="bench"),
        ),
    )


def call_started(site: BenchSite, run: str, i: int) -> CallStarted:
    now = datetime.now(UTC)
    sid = f"CA{uuid.uuid5(uuid.NAMESPACE_URL, f'{run}-{i}').hex}"
    number = site.numbers[i % len(site.numbers)]
    return CallStarted(
        event_id=event_id_for("bench-call", sid),
        occurred_at=now,
        recorded_at=now,
        tenant_id=site.tenant_id,
        site_id=site.site_id,
        payload=CallFacts(
            call_id=f"twilio:{sid}",
            provider="twilio",
            provider_call_id=sid,
            caller_number=f"+1415555{i % 10000:04d}",
            tracking_number=number,
            started_at=now,
            status=CallStatus.RINGING,
        ),
    )
