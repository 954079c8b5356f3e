"""The session-tracker and a real number-allocator as OS processes on the session's real broker."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import phonenumbers
import pytest

from ctrack_stack.testing import ServiceProcess, start_service

ADMIN_API_KEY = "admin-it-" + uuid.uuid4().hex
AREA_CODES = ("212", "312", "415", "617", "646", "206", "303", "512", "718", "202")


def unique_numbers(count: int) -> list[str]:
    """Valid US numbers (checked with phonenumbers), random enough not to collide with other tests."""
    found: list[str] = []
    while len(found) < count:
        candidate = f"+1{random.choice(AREA_CODES)}{random.randint(200, 999)}{random.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)) and candidate not in found:
            found.append(candidate)
    return found


@dataclass(frozen=True)
class Services:
    allocator: ServiceProcess
    tracker: ServiceProcess


@dataclass(frozen=True)
class Site:
    site_key: str
    pool_numbers: list[str]
    default_number: str


@pytest.fixture(scope="module")
def services(kafka_bootstrap: str, service_logs: Path) -> Iterator[Services]:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ADMIN_API_KEY": ADMIN_API_KEY,
        "DEFAULT_LEASE_SECONDS": "30",
        "EXPIRY_SWEEP_SECONDS": "0.5",
        "NUMBER_WAIT_SECONDS": "15",  # generous: the allocator may still be joining its group
    }
    allocator = start_service("number_allocator", env, service_logs)
    try:
        tracker = start_service("session_tracker", env, service_logs)
    except Exception:
        allocator.stop()
        raise
    yield Services(allocator, tracker)
    tracker.stop()
    allocator.stop()


@pytest.fixture
def site(services: Services) -> Site:
    """A fresh tenant with one site, a default number and two pool numbers (made through the admin API)."""
    url = services.allocator.url
    tenant = httpx.post(
        f"{url}/v1/tenants", json={"name": "agency"}, headers={"Authorization": f"Bearer {ADMIN_API_KEY}"}
    )
    assert tenant.status_code == 201, tenant.text
    auth = {"Authorization": f"Bearer {tenant.json()['api_key']}"}
    business, default, *pool = unique_numbers(4)
    created = httpx.post(f"{url}/v1/sites", json={"name": "Shop", "business_number": business}, headers=auth)
    assert created.status_code == 201, created.text
    for number, role in [(default, "default"), *((n, "pool") for n in pool)]:
        added = httpx.post(
            f"{url}/v1/numbers",
            json={"number": number, "provider": "twilio", "role": role, "site_id": created.json()["site_id"]},
            headers=auth,
        )
        assert added.status_code == 201, added.text
    return Site(created.json()["site_key"], pool, default)
