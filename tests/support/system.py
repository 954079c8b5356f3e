"""The running system as tests see it: the five services as OS processes, and tenants made through the API."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from ctrack_stack.testing import Infra, ServiceProcess, free_port, start_service

ADMIN_API_KEY = "admin-e2e-" + uuid.uuid4().hex
TWILIO_AUTH_TOKEN = "twilio-e2e-" + uuid.uuid4().hex
LEASE_SECONDS = 60
# The tracker answers bots and headless browsers with the default number: tests act as a real browser.
BROWSER_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@dataclass(frozen=True)
class System:
    tracker: ServiceProcess
    allocator: ServiceProcess
    ingest: ServiceProcess
    attribution: ServiceProcess
    crm_sync: ServiceProcess
    log_dir: Path
    env: dict[str, str]


@dataclass
class Tenant:
    tenant_id: str
    api_key: str
    site_id: str
    site_key: str
    business_number: str
    pool_numbers: list[str]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def unique_numbers(count: int) -> list[str]:
    """Valid US numbers that no other test uses: a real area code, a random exchange and line."""
    rng = random.SystemRandom()
    area = rng.choice(["202", "212", "305", "312", "415", "617", "646", "702", "718", "917"])
    exchange = rng.randrange(200, 999)
    if exchange % 100 == 11:
        exchange += 1
    line = rng.randrange(0, 10000 - count)
    return [f"+1{area}{exchange}{line + i:04d}" for i in range(count)]


def create_tenant(system: System, pool_size: int = 3) -> Tenant:
    admin = {"Authorization": f"Bearer {ADMIN_API_KEY}"}
    allocator = system.allocator.url
    created = httpx.post(
        f"{allocator}/v1/tenants", json={"name": f"agency-{uuid.uuid4().hex[:8]}"}, headers=admin
    )
    assert created.status_code == 201, created.text
    tenant_id, api_key = created.json()["tenant_id"], created.json()["api_key"]
    auth = {"Authorization": f"Bearer {api_key}"}
    business, *pool = unique_numbers(pool_size + 1)
    site = httpx.post(
        f"{allocator}/v1/sites",
        json={"name": "Shop", "business_number": business, "domains": ["shop.example"]},
        headers=auth,
    )
    assert site.status_code == 201, site.text
    site_id, site_key = site.json()["site_id"], site.json()["site_key"]
    for number in pool:
        added = httpx.post(
            f"{allocator}/v1/numbers",
            json={"number": number, "provider": "twilio", "role": "pool", "site_id": site_id},
            headers=auth,
        )
        assert added.status_code == 201, added.text
    return Tenant(tenant_id, api_key, site_id, site_key, business, pool)


def running_system(infra: Infra, service_logs: Path) -> Iterator[System]:
    """Start the five services on `infra` (short timers, test secrets); stop them when done."""
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": infra.kafka_bootstrap,
        "CLICKHOUSE_HOST": "127.0.0.1",
        "CLICKHOUSE_PORT": str(infra.clickhouse_port),
        "ADMIN_API_KEY": ADMIN_API_KEY,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "DEFAULT_LEASE_SECONDS": str(LEASE_SECONDS),
        "NUMBER_WAIT_SECONDS": "10",
        "WEBHOOK_RETRY_INITIAL_SECONDS": "0.2",
        "WEBHOOK_RETRY_MAX_INTERVAL_SECONDS": "1",
        "WEBHOOK_MAX_RETRY_SECONDS": "60",
        # A call nobody leased is answered after grace: short, so tests see it within seconds.
        "JOIN_GRACE_SECONDS": "30",
        "JOIN_IDLE_SECONDS": "1",
        # Every test client shares 127.0.0.1: lift the per-address caps that stop pool-draining floods.
        "MAX_NUMBERED_VISITORS_PER_ADDRESS": "100000",
        "MAX_NUMBERED_VISITORS_PER_NETWORK": "100000",
    }
    ingest_port = free_port()
    started: list[ServiceProcess] = []
    try:
        for module, extra, port in [
            ("number_allocator", {}, None),
            ("session_tracker", {}, None),
            ("call_ingest", {"PUBLIC_BASE_URL": f"http://127.0.0.1:{ingest_port}"}, ingest_port),
            ("attribution", {}, None),
            ("crm_sync", {}, None),
        ]:
            started.append(start_service(module, {**env, **extra}, service_logs, port=port))
        allocator, tracker, ingest, attribution, crm_sync = started
        yield System(tracker, allocator, ingest, attribution, crm_sync, service_logs, env)
    finally:
        for service in reversed(started):
            service.stop()
