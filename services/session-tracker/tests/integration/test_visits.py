"""A page view gets a tracking number from the real allocator within the bounded wait."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from conftest import Services, Site

# an ordinary browser: httpx's own user agent is (rightly) screened as a bot
BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
}


def visit(
    services: Services, site: Site, visitor_id: str, url: str = "https://shop.example/?gclid=abc"
) -> httpx.Response:
    return httpx.post(
        f"{services.tracker.url}/v1/visits",
        json={"site_key": site.site_key, "visitor_id": visitor_id, "url": url},
        headers=BROWSER,
        timeout=30,
    )


def test_a_visit_gets_a_pool_number_and_the_same_visitor_keeps_it(services: Services, site: Site) -> None:
    first = visit(services, site, "visitor-a")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "granted" and body["number"] in site.pool_numbers
    again = visit(services, site, "visitor-a", url="https://shop.example/cart")
    assert again.status_code == 200, again.text
    assert again.elapsed.total_seconds() < 2.0, "the default NUMBER_WAIT_SECONDS would have been enough"
    assert (again.json()["status"], again.json()["number"], again.json()["lease_id"]) == (
        "renewed",
        body["number"],
        body["lease_id"],
    )


def test_when_the_pool_is_exhausted_the_visitor_gets_the_default_number(
    services: Services, site: Site
) -> None:
    numbers = {visit(services, site, f"visitor-{i}").json()["number"] for i in range(2)}
    assert numbers == set(site.pool_numbers)
    third = visit(services, site, "visitor-late")
    assert third.status_code == 200, third.text
    assert (third.json()["status"], third.json()["number"]) == ("default", site.default_number)


def test_a_heartbeat_is_accepted_and_reports_the_visitors_lease(services: Services, site: Site) -> None:
    granted = visit(services, site, "visitor-hb").json()
    beat = httpx.post(
        f"{services.tracker.url}/v1/heartbeat",
        json={"site_key": site.site_key, "visitor_id": "visitor-hb", "visit_id": granted["visit_id"]},
        headers=BROWSER,
    )
    assert beat.status_code == 200, beat.text
    assert beat.json()["number"] == granted["number"]


def test_an_unknown_site_key_is_refused_naming_it_and_any_origin_may_call(services: Services) -> None:
    refused = httpx.post(
        f"{services.tracker.url}/v1/visits",
        json={"site_key": f"pk_{uuid.uuid4().hex}", "visitor_id": "v", "url": "https://shop.example/"},
        headers={"Origin": "https://customer.example"},
    )
    assert refused.status_code == 404 and refused.json()["field"] == "site_key"
    assert refused.headers["access-control-allow-origin"] == "*"


def test_a_visit_with_a_relative_url_is_refused_naming_the_field(services: Services, site: Site) -> None:
    refused = httpx.post(
        f"{services.tracker.url}/v1/visits", json={"site_key": site.site_key, "visitor_id": "v", "url": "/x"}
    )
    assert refused.status_code == 422
    assert {p["field"] for p in refused.json()["problems"]} == {"body.url"}


def test_the_answer_names_the_business_number_the_script_replaces(services: Services, site: Site) -> None:
    answer = visit(services, site, f"visitor-{uuid.uuid4().hex}")
    assert answer.status_code == 200, answer.text
    assert answer.json()["business_number"].startswith("+")


def test_the_built_tracker_script_is_served_cacheable_with_a_javascript_type(services: Services) -> None:
    bundle = (Path(__file__).resolve().parents[4] / "tracker-script" / "dist" / "ctrack.min.js").read_bytes()
    served = httpx.get(f"{services.tracker.url}/v1/tracker.js")
    assert served.status_code == 200
    assert served.content == bundle
    assert served.headers["content-type"] == "application/javascript; charset=utf-8"
    assert served.headers["cache-control"] == "public, max-age=3600"
    again = httpx.get(
        f"{services.tracker.url}/v1/tracker.js", headers={"If-None-Match": served.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


def test_a_leave_beacon_sent_as_text_plain_is_accepted_and_a_bad_one_names_the_field(
    services: Services, site: Site
) -> None:
    visitor = f"visitor-{uuid.uuid4().hex}"
    visit_id = visit(services, site, visitor).json()["visit_id"]
    beacon = {"site_key": site.site_key, "visitor_id": visitor, "visit_id": visit_id}
    left = httpx.post(
        f"{services.tracker.url}/v1/leave",
        content=json.dumps(beacon),
        headers={"Content-Type": "text/plain;charset=UTF-8"},
    )
    assert left.status_code == 202, left.text
    assert left.json() == {"visit_id": visit_id, "status": "accepted"}
    back = visit(services, site, visitor)
    assert back.status_code == 200 and back.json()["number"] in site.pool_numbers, back.text
    refused = httpx.post(f"{services.tracker.url}/v1/leave", content=json.dumps({**beacon, "visit_id": ""}))
    assert refused.status_code == 422 and "visit_id" in refused.text


def test_too_many_pages_seen_and_a_malformed_session_id_are_refused_naming_the_fields(
    services: Services, site: Site
) -> None:
    refused = httpx.post(
        f"{services.tracker.url}/v1/visits",
        json={
            "site_key": site.site_key,
            "visitor_id": "v",
            "url": "https://shop.example/",
            "session_id": "not a session id!",
            "pages_seen": [f"/p{i}" for i in range(51)],
        },
        headers=BROWSER,
    )
    assert refused.status_code == 422
    assert {p["field"] for p in refused.json()["problems"]} == {"body.session_id", "body.pages_seen"}
