"""Numbers that change while the page is open, in real Chromium against an intercepted tracker API:
the WebSocket per tab (and the HTTP polling fallback), delayed display, revoke in every tab."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import BrowserContext, expect

if TYPE_CHECKING:
    from conftest import Wire

POOL = "+12025550199"
BEFORE_DISPLAY = "+12025550111"
AFTER_RECLAIM = "+12025550122"
MARKUP = "<p id=n>Call (202) 555-0123</p><a id=tel href='tel:+12025550123'>call</a>"
SOCKET = {"ws_url": "/v1/ws", "heartbeat_seconds": 0.3}


def test_the_socket_carries_numbers_heartbeats_and_page_views(wire: Wire) -> None:
    api = wire.api(extra=SOCKET)
    page = wire.open(api, "/", wire.page_html(MARKUP))
    expect(page.locator("#n")).to_have_text("Call (202) 555-0199")
    wire.until(lambda: bool(api.sockets), what="the socket")
    (visit,) = api.bodies("/v1/visits")
    query = parse_qs(urlsplit(api.socket_urls[0]).query)
    assert urlsplit(api.socket_urls[0]).path == "/v1/ws"
    assert query == {
        "site_key": ["pk_test"],
        "visitor_id": [visit["visitor_id"]],
        "visit_id": [visit["visit_id"]],
        "session_id": [visit["session_id"]],
    }
    api.push(api.sockets[0], status="static", kind="static", number="+12025550166")
    expect(page.locator("#n")).to_have_text("Call (202) 555-0166")
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550166")
    beats_over_http = len(api.bodies("/v1/heartbeat"))  # sent while the socket was still connecting
    page.mouse.move(5, 5)
    wire.until(lambda: {"type": "heartbeat", "active": True} in api.received, what="an active beat")
    page.evaluate("history.pushState({}, '', '/pricing')")
    wire.until(lambda: any(m["type"] == "page" for m in api.received), what="the page message")
    assert [m for m in api.received if m["type"] == "page"] == [
        {
            "type": "page",
            "url": wire.site.url + "/pricing",
            "pages_seen": ["/"],
            "session_id": visit["session_id"],
        }
    ]
    assert len(api.bodies("/v1/heartbeat")) == beats_over_http, "heartbeats go over the open socket"
    assert api.bodies("/v1/pageview") == [], "so do page views"


def test_delayed_display_shows_the_before_display_default_then_the_pushed_pool_number(wire: Wire) -> None:
    deferred = {"status": "deferred", "kind": "default-before-display", "reason": "display_delay"}
    api = wire.api(number=lambda _: BEFORE_DISPLAY, extra={**SOCKET, **deferred})
    page = wire.open(api, "/", wire.page_html(MARKUP))
    expect(page.locator("#n")).to_have_text("Call (202) 555-0111")
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550111")
    wire.until(lambda: bool(api.sockets), what="the socket")
    api.push(api.sockets[0], status="granted", kind="pool", number=POOL)
    expect(page.locator("#n")).to_have_text("Call (202) 555-0199")
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+12025550199")


def test_without_a_socket_the_deferred_grant_is_polled_when_due(wire: Wire) -> None:
    due = "2000-01-01T00:00:00.000000Z"  # already due: the script asks at once
    numbers = {"/v1/visits": BEFORE_DISPLAY, "/v1/heartbeat": POOL}
    api = wire.api(
        number=numbers.get, extra={"status": "deferred", "grant_at": due, "heartbeat_seconds": 3600}
    )
    page = wire.open(api, "/", wire.page_html(MARKUP))
    expect(page.locator("#n")).to_have_text("Call (202) 555-0199")
    assert api.paths()[:2] == ["/v1/visits", "/v1/heartbeat"]


def test_revoking_the_lease_switches_every_tab_to_the_after_reclaim_default(wire: Wire) -> None:
    api = wire.api(extra=SOCKET)
    tabs = [wire.open(api, path, wire.page_html(MARKUP)) for path in ["/a", "/b"]]
    for tab in tabs:
        expect(tab.locator("#n")).to_have_text("Call (202) 555-0199")
    wire.until(lambda: len(api.sockets) == 2, what="a socket per tab")
    for socket in api.sockets:
        api.push(socket, status="default", kind="default-after-reclaim", reason="idle", number=AFTER_RECLAIM)
    for tab in tabs:
        expect(tab.locator("#n")).to_have_text("Call (202) 555-0122")
        expect(tab.locator("#tel")).to_have_attribute("href", "tel:+12025550122")


def test_a_tab_whose_socket_missed_the_revoke_follows_the_other_tab(
    wire: Wire, context: BrowserContext
) -> None:
    context.add_init_script("delete window.BroadcastChannel")
    api = wire.api(extra=SOCKET)
    tabs = [wire.open(api, path, wire.page_html(MARKUP)) for path in ["/a", "/b"]]
    wire.until(lambda: len(api.sockets) == 2, what="a socket per tab")
    api.push(
        api.sockets[0], status="default", kind="default-after-reclaim", reason="idle", number=AFTER_RECLAIM
    )
    for tab in tabs:
        expect(tab.locator("#n")).to_have_text("Call (202) 555-0122")


def test_a_refused_socket_falls_back_to_polling_over_http(wire: Wire) -> None:
    api = wire.api(extra={"ws_url": "ws://127.0.0.1:9/v1/ws", "heartbeat_seconds": 0.3})
    numbers = iter([POOL, POOL, AFTER_RECLAIM])
    api.number = lambda _: next(numbers, AFTER_RECLAIM)
    page = wire.open(api, "/", wire.page_html(MARKUP))
    expect(page.locator("#n")).to_have_text("Call (202) 555-0122")
    beats = api.bodies("/v1/heartbeat")
    assert beats and all(set(beat) == {"site_key", "visitor_id", "visit_id", "active"} for beat in beats)
