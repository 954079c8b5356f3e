"""The session-tracker and a real number-allocator as OS processes on the session's real broker."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
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
    site_id: str = ""
    auth: dict[str, str] | None = None
    spare_numbers: tuple[str, ...] = ()  # valid numbers no test registered, for pool defaults

    def configure(self, services: Services, path: str, changes: dict[str, object]) -> None:
        """PATCH the site (`path` "") or its pool (`path` "/pool") through the allocator's admin API."""
        url = f"{services.allocator.url}/v1/sites/{self.site_id}{path}"
        changed = httpx.patch(url, json=changes, headers=self.auth)
        assert changed.status_code == 200, changed.text


@pytest.fixture(scope="module")
def tracker_env() -> dict[str, str]:
    """Extra settings of the module's services (a test module overrides this fixture to change them)."""
    return {}


@pytest.fixture(scope="module")
def services(kafka_bootstrap: str, service_logs: Path, tracker_env: dict[str, str]) -> Iterator[Services]:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ADMIN_API_KEY": ADMIN_API_KEY,
        "DEFAULT_LEASE_SECONDS": "30",
        "EXPIRY_SWEEP_SECONDS": "0.5",
        "NUMBER_WAIT_SECONDS": "15",  # generous: the allocator may still be joining its group
        **tracker_env,
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


def make_site(services: Services, pool_size: int) -> Site:
    """A fresh tenant with one site, a default number and `pool_size` pool numbers (via the admin API)."""
    url = services.allocator.url
    tenant = httpx.post(
        f"{url}/v1/tenants", json={"name": "agency"}, headers={"Authorization": f"Bearer {ADMIN_API_KEY}"}
    )
    assert tenant.status_code == 201, tenant.text
    auth = {"Authorization": f"Bearer {tenant.json()['api_key']}"}
    business, default, spare_1, spare_2, *pool = unique_numbers(4 + pool_size)
    created = httpx.post(f"{url}/v1/sites", json={"name": "Shop", "business_number": business}, headers=auth)
    assert created.status_code == 201, created.text
    for number, role in [(default, "default"), *((n, "pool") for n in pool)]:
        added = httpx.post(
            f"{url}/v1/numbers",
            json={"number": number, "provider": "twilio", "role": role, "site_id": created.json()["site_id"]},
            headers=auth,
        )
        assert added.status_code == 201, added.text
    return Site(
        created.json()["site_key"], pool, default, created.json()["site_id"], auth, (spare_1, spare_2)
    )


@pytest.fixture
def site(services: Services) -> Site:
    """A fresh tenant with one site, a default number and two pool numbers."""
    return make_site(services, 2)


@pytest.fixture
def site_factory(services: Services) -> Callable[[int], Site]:
    """Make a fresh site with the given number of pool numbers."""
    return lambda pool_size: make_site(services, pool_size)
