"""The tracker script served by the real session-tracker, against the real allocator, Kafka and ClickHouse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, BrowserContext, Request, expect

from support.system import System, Tenant

if TYPE_CHECKING:
    from conftest import StaticSite


def national(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


def test_two_tabs_of_one_visitor_show_one_pool_number_in_the_sites_format(
    system: System, tenant: Tenant, site: StaticSite, context: BrowserContext
) -> None:
    site.pages["/"] = (
        "<!doctype html><html><head>"
        f"<script async src='{system.tracker.url}/v1/tracker.js' data-site='{tenant.site_key}'></script>"
        f"</head><body><p id=n>Call {national(tenant.business_number)}</p>"
        f"<a id=tel href='tel:{tenant.business_number}'>call</a></body></html>"
    )
    sent: list[dict[str, object]] = []

    def record(request: Request) -> None:
        if request.url.endswith("/v1/visits") and request.method == "POST":
            sent.append(json.loads(request.post_data or "{}"))

    context.on("request", record)
    first = context.new_page()
    first.goto(site.url + "/?utm_source=newsletter")
    expect(first.locator("#tel")).not_to_have_attribute(
        "href", f"tel:{tenant.business_number}", timeout=30_000
    )
    number = (first.locator("#tel").get_attribute("href") or "").removeprefix("tel:")
    assert number in tenant.pool_numbers
    expect(first.locator("#n")).to_have_text(f"Call {national(number)}")

    second = context.new_page()
    second.goto(site.url + "/pricing")
    expect(second.locator("#n")).to_have_text(f"Call {national(number)}", timeout=30_000)
    expect(second.locator("#tel")).to_have_attribute("href", f"tel:{number}")

    assert [body["url"] for body in sent] == [site.url + "/?utm_source=newsletter", site.url + "/pricing"]
    assert len({body["visitor_id"] for body in sent}) == 1 and len({body["visit_id"] for body in sent}) == 2
    assert {body["site_key"] for body in sent} == {tenant.site_key}
