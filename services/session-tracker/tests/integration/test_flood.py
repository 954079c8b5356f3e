"""A flood of visits with ordinary browser user agents from a few addresses cannot drain a pool:
each address (and each /24) holds at most its cap of numbers, and visitors from elsewhere still get
pool numbers. The test client binds to distinct loopback source addresses (127.x.y.z all reach the
tracker), so the tracker sees real, different peer addresses; no proxy header is involved."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:
    from conftest import Services, Site

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PER_ADDRESS, PER_NETWORK = 2, 4


@pytest.fixture(scope="module")
def tracker_env() -> dict[str, str]:
    return {
        "MAX_NUMBERED_VISITORS_PER_ADDRESS": str(PER_ADDRESS),
        "MAX_NUMBERED_VISITORS_PER_NETWORK": str(PER_NETWORK),
    }


def visits_from(services: Services, site: Site, address: str, count: int) -> list[dict[str, Any]]:
    """`count` new visitors from `address`, all at once (one connection pool bound to that address)."""
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(transport=transport, headers={"User-Agent": BROWSER}, timeout=30) as client:

        def one(_: int) -> dict[str, Any]:
            body = {
                "site_key": site.site_key,
                "visitor_id": f"flood-{uuid.uuid4().hex}",
                "url": "https://shop.example/",
            }
            answer = client.post(f"{services.tracker.url}/v1/visits", json=body)
            assert answer.status_code == 200, answer.text
            result: dict[str, Any] = answer.json()
            return result

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(one, range(count)))


def test_a_flood_from_three_addresses_takes_at_most_its_cap_and_real_visitors_still_get_numbers(
    services: Services, site_factory: Callable[[int], Site]
) -> None:
    site = site_factory(10)
    flood = [
        answer
        for address in ("127.1.0.1", "127.2.0.1", "127.3.0.1")
        for answer in visits_from(services, site, address, 20)
    ]
    leased = {a["number"] for a in flood if a["kind"] == "pool"}
    assert len(leased) == 3 * PER_ADDRESS, f"the flood took {len(leased)} numbers"
    assert Counter(a["reason"] for a in flood if a["kind"] != "pool") == {"address_cap": 60 - len(leased)}
    real = [visits_from(services, site, f"127.{10 + i}.0.1", 1)[0] for i in range(4)]
    assert [(a["status"], a["kind"]) for a in real] == [("granted", "pool")] * 4
    assert {a["number"] for a in real}.isdisjoint(leased) and {a["number"] for a in real} <= set(
        site.pool_numbers
    )
    metrics = httpx.get(f"{services.tracker.url}/metrics").text
    assert 'session_tracker_filtered_visits_total{reason="address_cap"}' in metrics


def test_addresses_of_one_network_share_the_network_cap(
    services: Services, site_factory: Callable[[int], Site]
) -> None:
    site = site_factory(8)
    answers = [a for host in (1, 2, 3) for a in visits_from(services, site, f"127.20.0.{host}", 5)]
    leased = [a for a in answers if a["kind"] == "pool"]
    assert len(leased) == PER_NETWORK, answers
    assert {a["reason"] for a in answers if a["kind"] != "pool"} <= {"address_cap", "network_cap"}
    assert any(a["reason"] == "network_cap" for a in answers)
