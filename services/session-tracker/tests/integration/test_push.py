"""Every open tab of a visitor is told when its number changes (WebSocket), and polling sees the same."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import httpx
from websockets.sync.client import ClientConnection, connect

if TYPE_CHECKING:
    from conftest import Services, Site

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"


def tab(services: Services, site: Site, visitor: str) -> ClientConnection:
    url = services.tracker.url.replace("http://", "ws://")
    query = f"site_key={site.site_key}&visitor_id={visitor}&visit_id=tab-{uuid.uuid4().hex[:8]}"
    return connect(f"{url}/v1/ws?{query}", user_agent_header=BROWSER, open_timeout=10)


def pushed(socket: ClientConnection, timeout: float = 30) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(socket.recv(timeout=timeout))
    assert message["type"] == "number", message
    return message


def poll(services: Services, site: Site, visitor: str, visit_id: str) -> dict[str, Any]:
    beat = httpx.post(
        f"{services.tracker.url}/v1/heartbeat",
        json={"site_key": site.site_key, "visitor_id": visitor, "visit_id": visit_id, "active": False},
        headers={"User-Agent": BROWSER},
    )
    assert beat.status_code == 200, beat.text
    answer: dict[str, Any] = beat.json()
    return answer


def test_a_grant_and_then_its_idle_revoke_reach_both_tabs_of_the_visitor_and_polling_agrees(
    services: Services, site: Site
) -> None:
    after_reclaim = site.spare_numbers[0]
    site.configure(
        services, "/pool", {"idle_reclaim_seconds": 3, "default_after_reclaim_number": after_reclaim}
    )
    visitor = f"visitor-{uuid.uuid4().hex}"
    with tab(services, site, visitor) as first, tab(services, site, visitor) as second:
        visited = httpx.post(
            f"{services.tracker.url}/v1/visits",
            json={"site_key": site.site_key, "visitor_id": visitor, "url": "https://shop.example/"},
            headers={"User-Agent": BROWSER},
            timeout=30,
        )
        assert visited.status_code == 200, visited.text
        granted = visited.json()
        assert (granted["status"], granted["kind"]) == ("granted", "pool")
        assert granted["ws_url"] == "/v1/ws" and granted["heartbeat_seconds"] >= 1
        for socket in (first, second):
            message = pushed(socket)
            assert (message["status"], message["kind"], message["number"]) == (
                "granted",
                "pool",
                granted["number"],
            )
            assert message["lease_id"] == granted["lease_id"]
        polled = poll(services, site, visitor, granted["visit_id"])
        assert (polled["kind"], polled["number"]) == ("pool", granted["number"])

        # nobody interacts: the allocator revokes the lease after 3 s idle and both tabs switch
        for socket in (first, second):
            message = pushed(socket)
            assert (message["status"], message["kind"], message["reason"], message["number"]) == (
                "default",
                "default-after-reclaim",
                "idle",
                after_reclaim,
            )
        polled = poll(services, site, visitor, granted["visit_id"])
        assert (polled["status"], polled["kind"], polled["number"]) == (
            "default",
            "default-after-reclaim",
            after_reclaim,
        )


def test_a_tab_opened_later_is_told_the_number_the_visitor_already_has(
    services: Services, site: Site
) -> None:
    visitor = f"visitor-{uuid.uuid4().hex}"
    visited = httpx.post(
        f"{services.tracker.url}/v1/visits",
        json={"site_key": site.site_key, "visitor_id": visitor, "url": "https://shop.example/"},
        headers={"User-Agent": BROWSER},
        timeout=30,
    )
    assert visited.status_code == 200, visited.text
    with tab(services, site, visitor) as late:
        assert pushed(late, timeout=10)["number"] == visited.json()["number"]


def test_delayed_display_answers_the_before_display_default_and_pushes_the_pool_number_when_due(
    services: Services, site: Site
) -> None:
    before_display = site.spare_numbers[1]
    site.configure(
        services, "/pool", {"display_delay_seconds": 2, "default_before_display_number": before_display}
    )
    visitor = f"visitor-{uuid.uuid4().hex}"
    with tab(services, site, visitor) as socket:
        visited = httpx.post(
            f"{services.tracker.url}/v1/visits",
            json={"site_key": site.site_key, "visitor_id": visitor, "url": "https://shop.example/"},
            headers={"User-Agent": BROWSER},
            timeout=30,
        )
        assert visited.status_code == 200, visited.text
        deferred = visited.json()
        assert (deferred["status"], deferred["kind"], deferred["reason"], deferred["number"]) == (
            "deferred",
            "default-before-display",
            "display_delay",
            before_display,
        )
        assert deferred["grant_at"] is not None and deferred["lease_id"] is None
        assert pushed(socket)["status"] == "deferred"
        granted = pushed(socket)
        assert (granted["status"], granted["kind"]) == ("granted", "pool") and granted[
            "number"
        ] in site.pool_numbers
