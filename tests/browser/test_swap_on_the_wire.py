"""The tracker script in real Chromium against an intercepted tracker API: what it swaps, what it sends.

The API at http://api.ctrack.test never reaches the network: Playwright answers it (HTTP and WebSocket)
and records each request body, so the tests assert on the payloads on the wire.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, expect

if TYPE_CHECKING:
    from conftest import StaticSite, Wire

BUSINESS = "+12025550123"
TRACKING = "+12025550199"
VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "tracker-script" / "test" / "vectors.json").read_text()
)


@pytest.mark.parametrize("vector", VECTORS, ids=[f"{v['market']}-{i}" for i, v in enumerate(VECTORS)])
def test_the_number_swaps_and_keeps_its_format(wire: Wire, vector: dict[str, str]) -> None:
    api = wire.api(number=lambda _: vector["to"], business=vector["from"])
    page = wire.open(api, "/", wire.page_html(f"<p id=n>{html.escape(vector['text'])}</p>"))
    expect(page.locator("#n")).to_have_text(vector["expected"])


def test_tel_links_and_numbers_split_across_elements_change(wire: Wire) -> None:
    page = wire.open(
        wire.api(),
        "/",
        wire.page_html(
            "<a id=tel href='tel:+1-202-555-0123'>Call</a>"
            "<p id=split><span>(202)</span> <b>555</b>-<i>0123</i></p>"
        ),
    )
    expect(page.locator("#tel")).to_have_attribute("href", "tel:+1-202-555-0199")
    expect(page.locator("#split")).to_have_text("(202) 555-0199")


def test_every_number_of_the_replace_list_and_of_data_numbers_changes(wire: Wire) -> None:
    api = wire.api(extra={"replace": [BUSINESS, "+12025550100"]})
    page = wire.open(
        api,
        "/",
        wire.page_html(
            "<p id=a>(202) 555-0123</p><p id=b>202-555-0100</p><p id=c>202.555.0111</p><p id=d>202 555 0122</p>",
            numbers="+12025550111",
        ),
    )
    for which, text in [("a", "(202) 555-0199"), ("b", "202-555-0199"), ("c", "202.555.0199")]:
        expect(page.locator("#" + which)).to_have_text(text)
    expect(page.locator("#d")).to_have_text("202 555 0122")


def test_the_no_swap_attribute_is_respected(wire: Wire) -> None:
    page = wire.open(
        wire.api(),
        "/",
        wire.page_html(
            "<p id=yes>(202) 555-0123</p>"
            "<div data-ctrack-no-swap><p id=no>(202) 555-0123</p><a id=notel href='tel:+12025550123'>x</a></div>"
        ),
    )
    expect(page.locator("#yes")).to_have_text("(202) 555-0199")
    expect(page.locator("#no")).to_have_text("(202) 555-0123")
    expect(page.locator("#notel")).to_have_attribute("href", "tel:+12025550123")


def test_an_spa_route_change_is_swapped_and_sent_as_a_page_view(wire: Wire) -> None:
    api = wire.api()
    page = wire.open(api, "/", wire.page_html("<main id=app>Home</main>"))
    page.wait_for_function("() => window.ctrack && window.ctrack.swap")
    expect(page.locator("#app")).to_have_text("Home")
    page.evaluate(
        """() => { history.pushState({}, '', '/contact');
                   document.getElementById('app').innerHTML = '<p id=c>Call 202.555.0123</p>' }"""
    )
    expect(page.locator("#c")).to_have_text("Call 202.555.0199")
    wire.until(lambda: bool(api.bodies("/v1/pageview")), what="the page view")
    (visit,), (view,) = api.bodies("/v1/visits"), api.bodies("/v1/pageview")
    assert view == {
        "site_key": "pk_test",
        "visitor_id": visit["visitor_id"],
        "visit_id": visit["visit_id"],
        "session_id": visit["session_id"],
        "url": wire.site.url + "/contact",
        "pages_seen": ["/"],
    }


def test_the_visit_payload_on_the_wire_and_calls_queued_before_load(
    wire: Wire, context: BrowserContext
) -> None:
    context.add_cookies(
        [
            {"name": "_ga", "value": "GA1.1.1234567890.1700000000", "url": wire.site.url},
            {"name": "_ym_uid", "value": "1700000000987654321", "url": wire.site.url},
        ]
    )
    api = wire.api()
    queued = (
        "<script>ctrack('getNumbers', n => window.got = n); ctrack('onNumber', n => window.seen = n)</script>"
    )
    markup = wire.page_html("<p>x</p>", head=queued, heartbeat="0.2")
    page = wire.open(api, "/landing", markup, url="/landing?utm_source=news")
    page.wait_for_function("() => window.got && window.seen")
    assert page.evaluate("window.got") == {BUSINESS: TRACKING}
    assert page.evaluate("window.seen") == TRACKING
    wire.until(lambda: bool(api.bodies("/v1/heartbeat")), what="a heartbeat")
    (path, sent), *_ = api.sent
    assert path == "/v1/visits"
    visit = dict(sent)
    assert "Chrome" in visit.pop("user_agent")
    assert visit.pop("visitor_id") and visit.pop("visit_id") and visit.pop("session_id")
    assert visit == {
        "site_key": "pk_test",
        "url": wire.site.url + "/landing?utm_source=news",
        "referrer": None,
        "pages_seen": [],
        "ga_client_id": "1234567890.1700000000",
        "ym_client_id": "1700000000987654321",
        "consent": False,
    }
    assert api.bodies("/v1/heartbeat")[0] == {
        "site_key": "pk_test",
        "visitor_id": sent["visitor_id"],
        "visit_id": sent["visit_id"],
        "active": False,
    }


def test_a_session_lasts_across_pages_until_a_new_campaign_or_30_idle_minutes(wire: Wire) -> None:
    api = wire.api()
    markup = wire.page_html("<p>x</p>")
    pages = [
        wire.open(api, "/a", markup, url="/a?utm_source=news&utm_campaign=spring"),
        wire.open(api, "/b", markup),
        wire.open(api, "/c", markup, url="/c?utm_source=news&utm_campaign=spring"),
    ]
    wire.until(lambda: len(api.bodies("/v1/visits")) == 3, what="three visits")
    pages.append(wire.open(api, "/d", markup, url="/d?gclid=abc"))
    wire.until(lambda: len(api.bodies("/v1/visits")) == 4, what="the visit from an ad click")
    pages[-1].evaluate(
        "() => { const s = JSON.parse(localStorage.ctrack_ses); s.t -= 31 * 60 * 1000; "
        "localStorage.ctrack_ses = JSON.stringify(s) }"
    )
    pages.append(wire.open(api, "/e", markup))
    wire.until(lambda: len(api.bodies("/v1/visits")) == 5, what="the visit after a pause")
    visits = api.bodies("/v1/visits")
    first, same, same_campaign, new_campaign, after_pause = (v["session_id"] for v in visits)
    assert first == same == same_campaign
    assert len({first, new_campaign, after_pause}) == 3
    assert [v["pages_seen"] for v in visits] == [[], ["/a"], ["/a", "/b"], [], []]
    assert len({v["visitor_id"] for v in visits}) == 1


def test_heartbeats_say_whether_the_visitor_interacted(wire: Wire) -> None:
    api = wire.api()
    page = wire.open(api, "/", wire.page_html("<p id=n>(202) 555-0123</p>", heartbeat="0.3"))
    expect(page.locator("#n")).to_have_text("(202) 555-0199")
    wire.until(lambda: len(api.bodies("/v1/heartbeat")) >= 2, what="idle heartbeats")
    assert not any(body["active"] for body in api.bodies("/v1/heartbeat"))
    page.mouse.move(10, 10)
    page.mouse.move(40, 60)
    wire.until(lambda: any(body["active"] for body in api.bodies("/v1/heartbeat")), what="an active beat")


@pytest.mark.parametrize("broadcast", ["BroadcastChannel", "storage event"])
def test_two_tabs_of_one_visitor_change_number_together(
    wire: Wire, context: BrowserContext, broadcast: str
) -> None:
    if broadcast == "storage event":
        context.add_init_script("delete window.BroadcastChannel")
    numbers = {"/v1/visits": TRACKING}
    api = wire.api(number=lambda path: numbers.get(path, "+12025550177"))
    markup = "<p id=n>(202) 555-0123</p>"
    first = wire.open(api, "/a", wire.page_html(markup, heartbeat="3600"))
    second = wire.open(api, "/b", wire.page_html(markup, heartbeat="0.3"))
    assert first.evaluate("typeof BroadcastChannel") == (
        "function" if broadcast == "BroadcastChannel" else "undefined"
    )
    # the second tab's heartbeat brings a new number; the first tab (no heartbeat due) follows it
    expect(second.locator("#n")).to_have_text("(202) 555-0177")
    expect(first.locator("#n")).to_have_text("(202) 555-0177")
    assert len(api.bodies("/v1/heartbeat")) == len([p for p in api.paths() if p == "/v1/heartbeat"]) > 0
    assert len({body["visitor_id"] for _, body in api.sent}) == 1, "both tabs are one visitor"


def test_a_script_without_a_site_key_leaves_the_page_alone(wire: Wire) -> None:
    api = wire.api()
    errors: list[str] = []
    wire.context.on("weberror", lambda e: errors.append(str(e.error)))
    page = wire.open(api, "/", wire.page_html("<p id=n>(202) 555-0123</p>", site=""))
    page.wait_for_load_state("load")
    assert errors == [] and api.sent == []
    expect(page.locator("#n")).to_have_text("(202) 555-0123")


def test_an_api_error_never_reaches_the_page(wire: Wire) -> None:
    api = wire.api(status=500)
    errors: list[str] = []
    wire.context.on("weberror", lambda e: errors.append(str(e.error)))
    page = wire.open(api, "/", wire.page_html("<p id=n>(202) 555-0123</p>", heartbeat="0.2"))
    wire.until(lambda: len(api.bodies("/v1/heartbeat")) >= 2, what="heartbeats after errors")
    assert errors == []
    expect(page.locator("#n")).to_have_text("(202) 555-0123")


def test_only_the_last_tab_of_the_site_sends_the_leave_beacon(
    wire: Wire, context: BrowserContext, site: StaticSite
) -> None:
    # beacons bypass Playwright's routing: this page's API is the static site, which keeps POSTs
    api = wire.api()
    context.route(f"{site.url}/v1/*", api.handle)
    markup = wire.page_html("<p id=n>(202) 555-0123</p>", api=site.url)
    site.pages["/a"] = site.pages["/b"] = markup
    tabs = [context.new_page(), context.new_page()]
    for tab, path in zip(tabs, ["/a", "/b"], strict=True):
        tab.goto(site.url + path)
        expect(tab.locator("#n")).to_have_text("(202) 555-0199")
    tabs[0].goto("about:blank")
    tabs[1].goto("about:blank")
    wire.until(lambda: bool(site.posts), timeout=10, what="the leave beacon")
    visits = api.bodies("/v1/visits")
    assert [(path, json.loads(body)) for path, body in site.posts] == [
        (
            "/v1/leave",
            {"site_key": "pk_test", "visitor_id": visits[1]["visitor_id"], "visit_id": visits[1]["visit_id"]},
        )
    ], "the first tab left while the second was open: no beacon then"
