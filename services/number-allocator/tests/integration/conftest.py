"""The number-allocator as an OS process on the session's real broker, and an admin client for it."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def allocator_env(kafka_bootstrap: str) -> dict[str, str]:
    """Short timers and a test admin key; replicas share the default consumer group, like production."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "ADMIN_API_KEY": ADMIN_API_KEY,
        "DEFAULT_LEASE_SECONDS": "30",
        "EXPIRY_SWEEP_SECONDS": "0.5",
    }


@pytest.fixture(scope="module")
def allocator(allocator_env: dict[str, str], service_logs: Path) -> Iterator[ServiceProcess]:
    service = start_service("number_allocator", allocator_env, service_logs)
    yield service
    service.stop()


class Admin:
    """Makes tenants, sites and numbers through the admin API."""

    admin_auth = {"Authorization": f"Bearer {ADMIN_API_KEY}"}

    def __init__(self, url: str) -> None:
        self.url = url

    @staticmethod
    def numbers(count: int) -> list[str]:
        return unique_numbers(count)

    def tenant(self) -> tuple[str, dict[str, str]]:
        created = httpx.post(
            f"{self.url}/v1/tenants",
            json={"name": f"agency-{uuid.uuid4().hex[:8]}"},
            headers=self.admin_auth,
        )
        assert created.status_code == 201, created.text
        return created.json()["tenant_id"], {"Authorization": f"Bearer {created.json()['api_key']}"}

    def site(self, auth: dict[str, str]) -> dict[str, object]:
        [business] = unique_numbers(1)
        site = httpx.post(
            f"{self.url}/v1/sites",
            json={"name": "Shop", "business_number": business, "domains": ["shop.example"]},
            headers=auth,
        )
        assert site.status_code == 201, site.text
        body: dict[str, object] = site.json()
        return body

    def add_numbers(self, auth: dict[str, str], site_id: str, count: int) -> list[str]:
        numbers = unique_numbers(count)
        for number in numbers:
            added = httpx.post(
                f"{self.url}/v1/numbers",
                json={"number": number, "provider": "twilio", "role": "pool", "site_id": site_id},
                headers=auth,
            )
            assert added.status_code == 201, added.text
        return numbers


@pytest.fixture
def admin(allocator: ServiceProcess) -> Admin:
    return Admin(allocator.url)


@pytest.fixture
def admin_of() -> type[Admin]:
    """`Admin` itself, for tests that start (and kill) their own allocator: `admin_of(service.url)`."""
    return Admin
