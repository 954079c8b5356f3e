"""The tracker script served by the real session-tracker, against the real allocator, Kafka and ClickHouse.

Pages are served as http://shop.example:<port> (Chromium resolves shop.example to this machine, see
conftest), the domain of every test tenant's site, so the tracker's origin check passes. Headless
Chromium says "HeadlessChrome" in its user agent, which the tracker treats as a bot: the pages of a
person are opened with the same user agent without "Headless".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, WebSocket, expect

from ctrack_common.events import Envelope, NumberRevealed
from ctrack_common.messaging import LogFollower
from ctrack_common.topics import VISITS
from ctrack_stack.testing import wait_until
from support.system import System, Tenant, unique_numbers

if TYPE_CHECKING:
    from conftest import StaticSite

PUSH_TIMEOUT = 30_000


def national(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


@pytest.fixture(scope="module")
def person_agent(browser: Browser) -> str:
    probe = browser.new_page()
    agent = str(probe.evaluate("navigator.userAgent")).replace("HeadlessChrome", "Chrome")
    probe.close()
    return agent


@pytest.fixture
def context(browser: Browser, person_agent: str) -> Iterator[BrowserContext]:
    context = browser.new_context(user_agent=person_agent)
    yield context
    context.close()


def shop(site: StaticSite, path: str) -> str:
    origin: str = site.url
    return origin.replace("127.0.0.1", "shop.example") + path


def serve(site: StaticSite, system: System, tenant: Tenant, path: str = "/") -> None:
    site.pages[path] = (
        "<!doctype html><html><head>"
        f"<script async src='{system.tracker.url}/v1/tracker.js' data-site='{tenant.site_key}'></script>"
        f"</head><body><p id=n>Call {national(tenant.business_number)}</p>"
        f"<a id=tel href='tel:{tenant.business_number}'>call</a></body></html>"
    )


def add_number(system: System, tenant: Tenant, role: str) -> str:
    number: str = unique_numbers(1)[0]
    added = httpx.post(
        f"{system.allocator.url}/v1/numbers",
        json={"number": number, "provider": "twilio", "role": role, "site_id": tenant.site_id},
        headers=tenant.auth,
    )
    assert added.status_code == 201, added.text
    return number


def configure_pool(system: System, tenant: Tenant, **changes: Any) -> None:
    changed = httpx.patch(
        f"{system.allocator.url}/v1/sites/{tenant.site_id}/pool", json=changes, headers=tenant.auth
    )
    assert changed.status_code == 200, changed.text


def wait_in(page: Page, check: Callable[[], bool], what: str) -> None:
    """Polls `check` with a deadline while Playwright runs (it reports socket frames only inside its calls)."""

    def pumped() -> bool:
        page.wait_for_timeout(25)
        return check()

    wait_until(pumped, timeout=10, what=what)


def recorder(
    event: Literal["framereceived", "framesent"], frames: list[dict[str, Any]]
) -> Callable[[WebSocket], None]:
    """Keeps the JSON frames a page's WebSockets receive or send in `frames`."""

    def on_socket(socket: WebSocket) -> None:
        socket.on(event, lambda frame: frames.append(json.loads(frame)))

    return on_socket


def shown(page: Page) -> str:
    return (page.locator("#tel").get_attribute("href") or "").removeprefix("tel:")


def test_two_tabs_of_one_visitor_show_one_pool_number_in_the_sites_format(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    serve(site, system, tenant, "/")
    serve(site, system, tenant, "/pricing")
    sent: list[dict[str, object]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/v1/visits") and request.method == "POST":
            sent.append(json.loads(request.post_data or "{}"))

    context.on("request", record)
    first = context.new_page()
    first.goto(shop(site, "/?utm_source=newsletter"))
    expect(first.locator("#tel")).not_to_have_attribute(
        "href", f"tel:{tenant.business_number}", timeout=PUSH_TIMEOUT
    )
    number = shown(first)
    assert number in tenant.pool_numbers
    expect(first.locator("#n")).to_have_text(f"Call {national(number)}")

    second = context.new_page()
    second.goto(shop(site, "/pricing"))
    expect(second.locator("#n")).to_have_text(f"Call {national(number)}", timeout=PUSH_TIMEOUT)
    expect(second.locator("#tel")).to_have_attribute("href", f"tel:{number}")

    assert [body["url"] for body in sent] == [shop(site, "/?utm_source=newsletter"), shop(site, "/pricing")]
    assert len({body["visitor_id"] for body in sent}) == 1 and len({body["visit_id"] for body in sent}) == 2
    assert {body["site_key"] for body in sent} == {tenant.site_key}
    assert sent[1]["pages_seen"] == ["/"] and sent[0]["session_id"] == sent[1]["session_id"]


def test_revoking_the_lease_switches_both_tabs_to_the_after_reclaim_default(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    after_reclaim = add_number(system, tenant, "default-after-reclaim")
    # nobody touches these tabs: their heartbeats say "not active" and idle reclaim takes the number back
    configure_pool(system, tenant, idle_reclaim_seconds=8)
    serve(site, system, tenant)
    tabs = [context.new_page(), context.new_page()]
    pushed: list[list[dict[str, Any]]] = [[], []]
    for tab, frames in zip(tabs, pushed, strict=True):
        tab.on("websocket", recorder("framereceived", frames))
        tab.goto(shop(site, "/"))
        expect(tab.locator("#tel")).not_to_have_attribute(
            "href", f"tel:{tenant.business_number}", timeout=PUSH_TIMEOUT
        )
    assert shown(tabs[0]) == shown(tabs[1]) and shown(tabs[0]) in tenant.pool_numbers
    for tab in tabs:
        expect(tab.locator("#tel")).to_have_attribute("href", f"tel:{after_reclaim}", timeout=PUSH_TIMEOUT)
        expect(tab.locator("#n")).to_have_text(f"Call {national(after_reclaim)}")
    for frames in pushed:
        assert {
            "type": "number",
            "number": after_reclaim,
            "kind": "default-after-reclaim",
            "reason": "idle",
        }.items() <= frames[-1].items(), "pushed on each tab's socket"


def test_delayed_display_shows_the_before_display_default_first(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    before_display = add_number(system, tenant, "default-before-display")
    configure_pool(system, tenant, display_delay_seconds=5)
    serve(site, system, tenant)
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/v1/visits")) as visit:
        page.goto(shop(site, "/"))
    answer = visit.value.json()
    assert (answer["status"], answer["kind"], answer["number"]) == (
        "deferred",
        "default-before-display",
        before_display,
    )
    expect(page.locator("#tel")).to_have_attribute("href", f"tel:{before_display}")
    expect(page.locator("#tel")).not_to_have_attribute("href", f"tel:{before_display}", timeout=PUSH_TIMEOUT)
    assert shown(page) in tenant.pool_numbers
    expect(page.locator("#n")).to_have_text(f"Call {national(shown(page))}")


def test_an_spa_route_change_is_swapped_and_sent_on_the_socket_and_no_swap_is_respected(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    site.pages["/"] = (
        f"<!doctype html><html><head><script async src='{system.tracker.url}/v1/tracker.js' "
        f"data-site='{tenant.site_key}'></script></head><body><a id=tel href='tel:{tenant.business_number}'>call</a>"
        f"<main id=app></main><footer data-ctrack-no-swap id=legal>{national(tenant.business_number)}</footer>"
        "</body></html>"
    )
    page = context.new_page()
    sent: list[dict[str, Any]] = []
    page.on("websocket", recorder("framesent", sent))
    with page.expect_request(lambda r: r.url.endswith("/v1/visits")) as visit:
        page.goto(shop(site, "/"))
    session = json.loads(visit.value.post_data or "{}")["session_id"]
    expect(page.locator("#tel")).not_to_have_attribute(
        "href", f"tel:{tenant.business_number}", timeout=PUSH_TIMEOUT
    )
    number = shown(page)
    page.evaluate(
        f"""() => {{ history.pushState({{}}, '', '/contact');
                   document.getElementById('app').innerHTML = '<p id=c>Call {national(tenant.business_number)}</p>' }}"""
    )
    expect(page.locator("#c")).to_have_text(f"Call {national(number)}")
    expect(page.locator("#legal")).to_have_text(national(tenant.business_number))
    wait_in(page, lambda: any(m["type"] == "page" for m in sent), "the page message")
    assert [m for m in sent if m["type"] == "page"] == [
        {"type": "page", "url": shop(site, "/contact"), "pages_seen": ["/"], "session_id": session}
    ]


def test_a_site_that_requires_consent_gets_a_number_only_after_consent(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    changed = httpx.patch(
        f"{system.allocator.url}/v1/sites/{tenant.site_id}",
        json={"display": {"consent_required": True}},
        headers=tenant.auth,
    )
    assert changed.status_code == 200, changed.text
    serve(site, system, tenant)
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/v1/visits")) as visit:
        page.goto(shop(site, "/"))
    assert visit.value.json()["reason"] == "consent_required"
    expect(page.locator("#tel")).to_have_attribute("href", f"tel:{tenant.business_number}")
    with page.expect_response(lambda r: r.url.endswith("/v1/visits")) as consented:
        page.evaluate("ctrack('consent', true)")
    assert consented.value.json()["number"] in tenant.pool_numbers
    expect(page.locator("#tel")).to_have_attribute("href", f"tel:{consented.value.json()['number']}")


def test_a_bot_user_agent_gets_the_default_number(
    system: System, tenant: Tenant, site: StaticSite, browser: Browser
) -> None:
    serve(site, system, tenant)
    context = browser.new_context(
        user_agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    )
    try:
        page = context.new_page()
        with page.expect_response(lambda r: r.url.endswith("/v1/visits")) as visit:
            page.goto(shop(site, "/"))
        answer: dict[str, Any] = visit.value.json()
        assert (answer["status"], answer["reason"]) == ("default", "bot")
        assert answer["number"] not in tenant.pool_numbers and answer["lease_id"] is None
        expect(page.locator("#n")).to_have_text(f"Call {national(tenant.business_number)}")
        expect(page.locator("#tel")).to_have_attribute("href", f"tel:{tenant.business_number}")
    finally:
        context.close()


def test_click_to_reveal_shows_the_tracking_number_on_click_and_records_the_reveal(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext, kafka_bootstrap: str
) -> None:
    changed = httpx.patch(
        f"{system.allocator.url}/v1/sites/{tenant.site_id}",
        json={"display": {"click_to_reveal": True}},
        headers=tenant.auth,
    )
    assert changed.status_code == 200, changed.text
    revealed: list[Envelope] = []

    def keep(event: Envelope) -> None:
        if isinstance(event, NumberRevealed) and event.site_id == tenant.site_id:
            revealed.append(event)

    follower = LogFollower(kafka_bootstrap, [VISITS], keep, from_end=True)
    follower.start()
    try:
        assert follower.caught_up.wait(30)
        serve(site, system, tenant)
        page = context.new_page()
        with page.expect_response(lambda r: r.url.endswith("/v1/visits")) as visit:
            page.goto(shop(site, "/"))
        answer: dict[str, Any] = visit.value.json()
        assert answer["click_to_reveal"] is True
        masked = national(tenant.business_number)[:-3] + "…show"
        expect(page.locator("#n")).to_have_text(f"Call {masked}", timeout=PUSH_TIMEOUT)
        with page.expect_response(lambda r: r.url.endswith("/v1/reveal")) as reveal:
            page.get_by_role("button", name="show").click()
        assert reveal.value.status == 202
        number = answer["number"]
        assert number in tenant.pool_numbers
        expect(page.locator("#n")).to_have_text(f"Call {national(number)}")
        wait_until(lambda: bool(revealed), timeout=30, what="NumberRevealed on visits")
        [event] = revealed
        assert isinstance(event, NumberRevealed)
        assert (event.payload.number, event.payload.visit_id) == (number, answer["visit_id"])
    finally:
        follower.stop()
