"""The tracker script in real Chromium against an intercepted tracker API: what it swaps, what it sends.

The API at http://api.ctrack.test never reaches the network: Playwright answers it and records each
request body, so the tests assert on the payloads on the wire.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from ctrack_stack.testing import wait_until

if TYPE_CHECKING:
    from conftest import StaticSite

API = "http://api.ctrack.test"
BUSINESS = "+12025550123"
TRACKING = "+12025550199"
VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "tracker-script" / "test" / "vectors.json").read_text()
)
STUB = "<script>window.ctrack=window.ctrack||function(){(ctrack.q=ctrack.q||[]).push(arguments)}</script>"


def page_html(body: str, head: str = "", **data: str) -> str:
    attrs = " ".join(
        f'data-{k}="{html.escape(v)}"' for k, v in {"site": "pk_test", "api": API, **data}.items()
    )
    return f"<!doctype html><html><head>{STUB}{head}<script async src='/ctrack.min.js' {attrs}></script></head><body>{body}</body></html>"


@dataclass
class FakeApi:
    """Answers /v1/visits and /v1/heartbeat with `number()`; keeps every request (path, JSON body)."""

    number: Callable[[str], str]
    business: str = BUSINESS
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        request = route.request
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=self._cors)
            return
        path = "/" + request.url.split("/", 3)[3]
        self.sent.append((path, json.loads(request.post_data or "{}")))
        answer = {
            "visit_id": "v",
            "status": "granted",
            "number": self.number(path),
            "business_number": self.business,
        }
        route.fulfill(
            status=200, headers=self._cors, content_type="application/json", body=json.dumps(answer)
        )

    _cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type"}

    def paths(self) -> list[str]:
        return [path for path, _ in self.sent]


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def open_page(context: BrowserContext, site: StaticSite, api: FakeApi, path: str, markup: str) -> Page:
    site.pages[path] = markup
    context.route(f"{API}/**", api.handle)
    page = context.new_page()
    page.goto(site.url + path)
    return page


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['market']}-{i}" for i, v in enumerate(VECTORS)])
def test_the_number_swaps_and_keeps_its_format(
    context: BrowserContext, site: StaticSite, vector: dict[str, str]
) -> None:
    api = FakeApi(lambda _: vector["to"], business=vector["from"])
    page = open_page(context, site, api, "/", page_html(f"<p id=n>{html.escape(vector['text'])}</p>"))
    expect(page.locator("#n")).to_have_text(vector["expected"])


def test_tel_links_and_numbers_split_across_elements_change(
    context: BrowserContext, site: StaticSite
) -> None:
    api = FakeApi(lambda _: TRACKING)
    page = open_page(
        context,
        site,
        api,
        "/",
        page_html(
            "<a id=tel href='tel:+1-202-555-0123'>Call</a>"
            "<p id=split><span>(202)</span> <b>555</b>-<i>0123</i></p>"
        ),
    )
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+1-202-555-0199")
    expect(page.locator("#split")).to_have_text("(202) 555-0199")


def test_the_no_swap_attribute_is_respected(context: BrowserContext, site: StaticSite) -> None:
    api = FakeApi(lambda _: TRACKING)
    page = open_page(
        context,
        site,
        api,
        "/",
        page_html(
            "<p id=yes>(202) 555-0123</p>"
            "<div data-ctrack-no-swap><p id=no>(202) 555-0123</p><a id=notel href='tel:+12025550123'>x</a></div>"
        ),
    )
    expect(page.locator("#yes")).to_have_text("(202) 555-0199")
    expect(page.locator("#no")).to_have_text("(202) 555-0123")
    expect(page.locator("#notel")).to_have_attribute("href", "tel:+12025550123")


def test_content_of_an_spa_route_change_gets_swapped(context: BrowserContext, site: StaticSite) -> None:
    api = FakeApi(lambda _: TRACKING)
    page = open_page(context, site, api, "/", page_html("<main id=app>Home</main>"))
    page.wait_for_function("() => window.ctrack && window.ctrack.swap")
    expect(page.locator("#app")).to_have_text("Home")
    page.evaluate(
        """() => { history.pushState({}, '', '/contact');
                   document.getElementById('app').innerHTML = '<p id=c>Call 202.555.0123</p>' }"""
    )
    expect(page.locator("#c")).to_have_text("Call 202.555.0199")
    assert page.url.endswith("/contact")


def test_the_visit_payload_on_the_wire_and_calls_queued_before_load(
    context: BrowserContext, site: StaticSite
) -> None:
    api = FakeApi(lambda _: TRACKING)
    queued = (
        "<script>ctrack('getNumbers', n => window.got = n); ctrack('onNumber', n => window.seen = n)</script>"
    )
    site.pages["/landing"] = page_html("<p>x</p>", head=queued, heartbeat="0.2")
    context.route(f"{API}/**", api.handle)
    page = context.new_page()
    with page.expect_request(lambda request: request.url == f"{API}/v1/heartbeat"):
        page.goto(site.url + "/landing?utm_source=news")
    page.wait_for_function("() => window.got && window.seen")
    assert page.evaluate("window.got") == {BUSINESS: TRACKING}
    assert page.evaluate("window.seen") == TRACKING
    (path, visit), *rest = api.sent
    assert path == "/v1/visits"
    assert visit["site_key"] == "pk_test"
    assert visit["url"] == site.url + "/landing?utm_source=news"
    assert visit["visitor_id"] and visit["visit_id"] and visit["referrer"] is None
    assert "Chrome" in visit["user_agent"]
    heartbeat = next(body for p, body in rest if p == "/v1/heartbeat")
    assert heartbeat == {
        "site_key": "pk_test",
        "visitor_id": visit["visitor_id"],
        "visit_id": visit["visit_id"],
    }


def test_two_tabs_of_one_visitor_change_number_together(context: BrowserContext, site: StaticSite) -> None:
    numbers = {"/v1/visits": TRACKING}
    api = FakeApi(lambda path: numbers.get(path, "+12025550177"))
    markup = "<p id=n>(202) 555-0123</p>"
    first = open_page(context, site, api, "/a", page_html(markup, heartbeat="0.2"))
    second = open_page(context, site, api, "/b", page_html(markup, heartbeat="3600"))
    # the first tab's heartbeat brings a new number; the second tab (no heartbeat due) follows it
    expect(first.locator("#n")).to_have_text("(202) 555-0177")
    expect(second.locator("#n")).to_have_text("(202) 555-0177")
    assert [path for path, _ in api.sent if path == "/v1/heartbeat"], "only the first tab heartbeats"
    visitors = {body["visitor_id"] for _, body in api.sent}
    assert len(visitors) == 1, "both tabs are one visitor"


def test_a_script_without_a_site_key_leaves_the_page_alone(context: BrowserContext, site: StaticSite) -> None:
    api = FakeApi(lambda _: TRACKING)
    errors: list[str] = []
    site.pages["/"] = page_html("<p id=n>(202) 555-0123</p>", site="")
    context.route(f"{API}/**", api.handle)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site.url + "/", wait_until="load")
    assert errors == [] and api.sent == []
    expect(page.locator("#n")).to_have_text("(202) 555-0123")


def test_only_the_last_tab_of_the_site_sends_the_leave_beacon(
    context: BrowserContext, site: StaticSite
) -> None:
    # beacons bypass Playwright's routing: this page's API is the static site, which keeps POSTs
    api = FakeApi(lambda _: TRACKING)
    context.route(f"{site.url}/v1/*", api.handle)
    markup = page_html("<p id=n>(202) 555-0123</p>", api=site.url)
    site.pages["/a"] = site.pages["/b"] = markup
    tabs = [context.new_page(), context.new_page()]
    for tab, path in zip(tabs, ["/a", "/b"], strict=True):
        tab.goto(site.url + path)
        expect(tab.locator("#n")).to_have_text("(202) 555-0199")
    tabs[0].goto("about:blank")
    tabs[1].goto("about:blank")
    wait_until(lambda: bool(site.posts), timeout=10, what="the leave beacon")
    visits = [body for path, body in api.sent if path == "/v1/visits"]
    assert [(path, json.loads(body)) for path, body in site.posts] == [
        (
            "/v1/leave",
            {"site_key": "pk_test", "visitor_id": visits[1]["visitor_id"], "visit_id": visits[1]["visit_id"]},
        )
    ], "the first tab left while the second was open: no beacon then"
